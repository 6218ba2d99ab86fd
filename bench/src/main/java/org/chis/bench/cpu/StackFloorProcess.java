package org.chis.bench.cpu;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;

/**
 * The floor of the mediators' stack for {@code cpu-per-unit}: a JVM that does only what a form's transport needs
 * (one request in through Pekko HTTP, handed to a worker thread, N GETs out through OkHttp one after another, each
 * answer read whole, a small JSON answer) and nothing else: no state, no recording, no parsing. Pekko and OkHttp are
 * set up as in the mediators (MediatorServer's dispatcher and tick, RecordingHttpClient's client). Its CPU per unit on
 * the same machine and latency is what no mediator built on this stack can go below.
 * Args: upstream URL, calls per request, Authorization header; prints {@code READY port=<n>}.
 */
public final class StackFloorProcess {
    private StackFloorProcess() {}

    public static void main(String[] args) throws Exception {
        String upstream = args[0];
        int calls = Integer.parseInt(args[1]);
        // the same Pekko settings as MediatorServer's (one dispatcher thread, 100 ms scheduler tick)
        Config config = ConfigFactory.parseMap(Map.of(
                        "pekko.loglevel", "WARNING",
                        "pekko.scheduler.tick-duration", "100ms",
                        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min", "1",
                        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max", "1",
                        "pekko.io.tcp.worker-dispatcher", "pekko.actor.default-dispatcher"))
                .withFallback(ConfigFactory.load());
        ActorSystem system = ActorSystem.create("floor", config);
        Materializer mat = Materializer.createMaterializer(system);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(16, r -> new Thread(r, "floor-worker-" + threads.incrementAndGet()));
        // the mediators' OkHttp set-up (pool without a cleanup wake-up per call, quiet Okio watchdog): the floor keeps
        // the transport tuning and leaves out only the work (recording, JSON, state)
        OkHttpClient http = RecordingHttpClient.baseClient(Settings.of(Map.of())).build();
        Request get = new Request.Builder().url(upstream).header("Authorization", args[2]).build();
        byte[] answer = "{\"status\":\"done\"}".getBytes(StandardCharsets.UTF_8);
        Function<HttpRequest, CompletionStage<HttpResponse>> handler = req -> {
            CompletionStage<HttpEntity.Strict> whole = req.entity().isStrict()
                    ? CompletableFuture.completedFuture((HttpEntity.Strict) req.entity())
                    : req.entity().toStrict(10_000, mat);
            return whole.thenApplyAsync(body -> {
                int length = 0;
                for (int i = 0; i < calls; i++) {
                    try (Response r = http.newCall(get).execute()) {
                        if (r.code() != 200) return HttpResponse.create().withStatus(StatusCodes.BAD_GATEWAY);
                        length += r.body().bytes().length;
                    } catch (Exception e) {
                        return HttpResponse.create().withStatus(StatusCodes.BAD_GATEWAY);
                    }
                }
                return HttpResponse.create().withStatus(length > 0 ? StatusCodes.CREATED : StatusCodes.BAD_GATEWAY)
                        .withEntity(ContentTypes.APPLICATION_JSON, answer);
            }, workers);
        };
        var binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(handler).toCompletableFuture().get();
        System.out.println("READY port=" + binding.localAddress().getPort());
        System.out.flush();
    }
}
