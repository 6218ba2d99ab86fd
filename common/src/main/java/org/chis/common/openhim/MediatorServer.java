package org.chis.common.openhim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.chis.common.config.Settings;
import org.chis.common.http.Secrets;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.metrics.MediatorMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.BadInputException;

/**
 * The mediator's inbound HTTP endpoint on Pekko HTTP. Routes by method and path pattern, authenticates the
 * caller (HTTP Basic with the credentials OpenHIM core's route carries), limits body size, decodes bodies as
 * UTF-8, puts the OpenHIM transaction id in the logging MDC, runs the handler on a worker pool and answers
 * with the {@code application/json+openhim} envelope. {@code GET /health} is open.
 */
public final class MediatorServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MediatorServer.class);
    private static final ContentType OPENHIM_JSON = ContentTypes.create(
            MediaTypes.customWithFixedCharset("application", "json+openhim", HttpCharsets.UTF_8,
                    Map.of(), false, new String[0]));

    /**
     * The body type of CommCare HQ's JSON data forwarding, RapidPro's Call Webhook, OpenSRP and CHT pushes, and
     * OpenHIM core, which passes the client's Content-Type on: every mediator endpoint that reads a body takes JSON.
     */
    public static final List<String> JSON = List.of("application/json");

    /** {@code accepts}: media types the body may have (none: any, or no body is read). */
    private record Endpoint(String method, Pattern path, List<String> accepts, RequestHandler handler) {}

    private final String urn;
    private final Settings settings;
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final long maxBodyBytes;
    private final Duration bodyTimeout = Duration.ofSeconds(30);
    private volatile Supplier<Map<String, Object>> health = Map::of;
    private volatile MediatorMetrics metrics; // made on first use: its classes stay off the start-up path until a store or request needs them
    private ActorSystem system;
    private ServerBinding binding;
    private ExecutorService workers;

    public MediatorServer(String urn, Settings settings) {
        this.urn = urn;
        this.settings = settings;
        this.maxBodyBytes = settings.getLong("mediator.maxBodyBytes", 10L * 1024 * 1024);
    }

    public MediatorMetrics metrics() {
        MediatorMetrics m = metrics;
        if (m != null) return m;
        synchronized (this) {
            if (metrics == null) metrics = new MediatorMetrics(urn, settings);
            return metrics;
        }
    }

    /** Adds an endpoint that reads no body, or any; {@code pathRegex} must match the whole path (query excluded). */
    public MediatorServer route(String method, String pathRegex, RequestHandler handler) {
        return route(method, pathRegex, List.of(), handler);
    }

    /**
     * Adds an endpoint whose request body must be one of the media types {@code accepts} (e.g. {@link #JSON}),
     * whatever its parameters ({@code application/json; charset=utf-8} is JSON). A body of another type, or with
     * none, is answered 415 naming the types accepted, before the handler runs: nothing is read or written.
     */
    public MediatorServer route(String method, String pathRegex, List<String> accepts, RequestHandler handler) {
        endpoints.add(new Endpoint(method.toUpperCase(Locale.ROOT), Pattern.compile(pathRegex),
                accepts.stream().map(t -> t.toLowerCase(Locale.ROOT)).toList(), handler));
        return this;
    }

    /** Extra facts for /health (registration, database). */
    public MediatorServer health(Supplier<Map<String, Object>> supplier) {
        this.health = supplier;
        return this;
    }

    public MediatorServer start() {
        String host = settings.get("mediator.bind", "0.0.0.0");
        int port = settings.getInt("mediator.port", 8500);
        Config config = ConfigFactory.parseMap(Map.of(
                        "pekko.loggers", List.of("org.apache.pekko.event.slf4j.Slf4jLogger"),
                        "pekko.logging-filter", "org.apache.pekko.event.slf4j.Slf4jLoggingFilter",
                        "pekko.loglevel", "INFO",
                        "pekko.http.server.parsing.max-content-length", String.valueOf(maxBodyBytes + 1),
                        "pekko.http.server.request-timeout", settings.getLong("mediator.requestTimeoutMs", 120_000) + "ms",
                        "pekko.http.server.idle-timeout", "300s",
                        "pekko.http.server.max-connections", "2048",
                        // headers stay raw text except those pekko-http needs itself (Host, Connection, Content-*): the
                        // handlers read header values as text, and core opens a connection per request, so each
                        // connection's header cache starts empty and every modeled header (Authorization, User-Agent,
                        // Accept...) was parsed and rendered back to text anew (~10% of the Pekko thread, JFR)
                        "pekko.http.server.parsing.modeled-header-parsing", "off"))
                .withFallback(ConfigFactory.systemProperties()) // -Dpekko... still overrides the tuning below
                .withFallback(ConfigFactory.parseMap(Map.of(
                        // the scheduler thread ticks all the time, tick-duration apart (10 ms: 100 wake-ups a second, 0.5 ms of
                        // CPU per form); its only timers here are request, idle and body timeouts of seconds
                        "pekko.scheduler.tick-duration", "100ms",
                        // a request hops between the IO actors and the stream actor: on one thread the hops stay on a thread
                        // already awake (with two, each hop woke the idle one to look for work, and it went back to sleep). Handlers
                        // run on the workers; the Pekko thread only parses and renders
                        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min", "1",
                        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max", "1",
                        "pekko.io.tcp.worker-dispatcher", "pekko.actor.default-dispatcher")))
                .withFallback(ConfigFactory.load());
        system = ActorSystem.create("mediator", config);
        workers = new WorkerPool(settings.getInt("mediator.workers", 256), "mediator-worker-");
        Materializer mat = Materializer.createMaterializer(system);
        try {
            binding = Http.get(system).newServerAt(host, port).bind((Function<HttpRequest, CompletionStage<HttpResponse>>) req -> handle(req, mat))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        log.info("{} listening on {}", urn, binding.localAddress());
        return this;
    }

    /** The port actually bound (useful with mediator.port=0 in tests). */
    public int port() { return binding.localAddress().getPort(); }

    private CompletionStage<HttpResponse> handle(HttpRequest req, Materializer mat) {
        String path = req.getUri().path();
        String method = req.method().value();
        if (method.equals("GET") && path.equals("/health")) {
            req.discardEntityBytes(mat);
            // on a worker: the health facts may ask the database, and the one Pekko thread must not wait for it
            return CompletableFuture.supplyAsync(() -> {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("status", "UP");
                h.put("urn", urn);
                h.putAll(health.get());
                return HttpResponse.create().withStatus(200)
                        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.write(h)));
            }, workers);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (var hd : req.getHeaders()) {
            if (hd instanceof TimeoutAccess) continue; // pekko-http's handle on the request timeout, not a header the caller sent
            headers.merge(hd.lowercaseName(), hd.value(), (a, b) -> a + ", " + b);
        }
        TransactionContext tx = new TransactionContext(headers.get("x-openhim-transactionid"));
        if (method.equals("GET") && path.equals("/metrics") && metrics().enabled()) return scrape(req, mat, headers.get("authorization"));
        if (!authorised(headers.get("authorization"))) {
            req.discardEntityBytes(mat);
            return done(MediatorResponse.rejected(401, "authentication required: this mediator accepts requests from OpenHIM core only")
                    .header("WWW-Authenticate", "Basic realm=\"mediator\""), tx);
        }
        Endpoint found = null;
        boolean pathKnown = false;
        for (Endpoint e : endpoints) {
            if (!e.path().matcher(path).matches()) continue;
            pathKnown = true;
            if (e.method().equals(method)) {
                found = e;
                break;
            }
        }
        Endpoint endpoint = found;
        if (!pathKnown) {
            req.discardEntityBytes(mat);
            return done(MediatorResponse.rejected(404, "no endpoint " + path + " on this mediator"), tx);
        }
        if (endpoint == null) {
            req.discardEntityBytes(mat);
            return done(MediatorResponse.rejected(405, method + " is not allowed on " + path + " (allowed: "
                    + String.join(", ", endpoints.stream().filter(e -> e.path().matcher(path).matches()).map(Endpoint::method).toList()) + ")"), tx);
        }
        MediatorResponse wrongType = unacceptedType(req, endpoint, method, path);
        if (wrongType != null) {
            req.discardEntityBytes(mat);
            return done(wrongType, tx);
        }
        long declared = req.entity() instanceof HttpEntity.Strict sized ? sized.getData().length() : req.entity().getContentLengthOption().orElse(-1L);
        if (declared > maxBodyBytes) {
            req.discardEntityBytes(mat);
            return done(tooLarge(), tx);
        }
        Map<String, String> query = new LinkedHashMap<>();
        req.getUri().rawQueryString().ifPresent(q -> {
            for (String pair : q.split("&")) {
                if (pair.isEmpty()) continue;
                int i = pair.indexOf('=');
                String k = URLDecoder.decode(i < 0 ? pair : pair.substring(0, i), StandardCharsets.UTF_8);
                String v = i < 0 ? "" : URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8);
                query.putIfAbsent(k, v);
            }
        });
        // a small body arrives whole (Strict): pekko-http's toStrict would still materialise a stream for it (18% of
        // the pass-through mediator's CPU under load in JFR), so only a streamed body goes through toStrict. The size
        // limit is the entity's (EntityStreamSizeException: 413): toStrict's own limit failed with an EntityStreamException,
        // answered 500 and retried by core; its limit is one byte higher so the entity's always comes first
        CompletionStage<HttpEntity.Strict> whole = req.entity() instanceof HttpEntity.Strict strict
                ? CompletableFuture.completedFuture(strict)
                : req.entity().withSizeLimit(maxBodyBytes).toStrict(bodyTimeout.toMillis(), maxBodyBytes + 1, mat);
        // one hand-off to the worker pool: decode and handle in the same task
        return whole.thenApplyAsync(strict -> run(endpoint, decode(req, strict, method, path, query, headers), tx), workers)
                .exceptionally(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof EntityStreamSizeException) return tooLarge();
                    if (cause instanceof BadInputException bad) return MediatorResponse.rejected(bad.status(), bad.getMessage());
                    log.error("request {} {} failed before its handler ran", method, path, cause);
                    return MediatorResponse.failed(500, "could not read the request: " + cause.getMessage());
                })
                .thenApply(r -> toHttp(r, tx));
    }

    private static MediatorRequest decode(HttpRequest req, HttpEntity.Strict strict, String method, String path,
                                          Map<String, String> query, Map<String, String> headers) {
        // bodies are UTF-8 unless the caller says otherwise (CommCare, RapidPro and core all send UTF-8)
        var charset = req.entity().getContentType().getCharsetOption()
                .map(c -> Charset.forName(c.value())).orElse(StandardCharsets.UTF_8);
        String body;
        try {
            body = text(strict.getData().toArrayUnsafe(), charset);
        } catch (CharacterCodingException e) {
            throw new BadInputException("request body is not valid " + charset.name() + ": " + e.getMessage());
        }
        return new MediatorRequest(method, path, query, headers, body);
    }

    /** Strict: a body that is not valid in its charset is refused, not "repaired" with U+FFFD and passed on. */
    private static String text(byte[] bytes, Charset charset) throws CharacterCodingException {
        if (charset.equals(StandardCharsets.UTF_8)) {
            // the JDK's UTF-8 String constructor (vectorised for ASCII; a decoder over Pekko's read-only buffer went byte
            // by byte) replaces bad bytes by U+FFFD: only a body showing one is decoded again strictly (one sent as such passes)
            String s = new String(bytes, StandardCharsets.UTF_8);
            if (s.indexOf('\uFFFD') < 0) return s;
        }
        return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    /**
     * 415 when the endpoint takes certain body types and this body is another: a JSON form labelled text/plain is
     * a misconfigured sender (fix its Content-Type), not something to guess at. An empty body is left to the handler.
     */
    private static MediatorResponse unacceptedType(HttpRequest req, Endpoint endpoint, String method, String path) {
        if (endpoint.accepts().isEmpty() || req.entity().isKnownEmpty()) return null;
        var media = req.entity().getContentType().mediaType();
        String type = (media.mainType() + "/" + media.subType()).toLowerCase(Locale.ROOT);
        if (endpoint.accepts().contains(type)) return null;
        // pekko-http models a missing Content-Type as application/octet-stream
        String sent = type.equals("application/octet-stream") ? "no Content-Type (or application/octet-stream)" : "Content-Type '" + type + "'";
        return MediatorResponse.rejected(415, "a body with " + sent + " is not accepted on " + method + " " + path + ": send it as "
                + String.join(" or ", endpoint.accepts()) + " (e.g. Content-Type: " + endpoint.accepts().get(0) + "; charset=utf-8); nothing was read or written");
    }

    private MediatorResponse tooLarge() {
        return MediatorResponse.rejected(413, "request body larger than " + maxBodyBytes + " bytes (mediator.maxBodyBytes)");
    }

    private MediatorResponse run(Endpoint endpoint, MediatorRequest request, TransactionContext tx) {
        long t0 = System.nanoTime();
        MediatorResponse r = answer(endpoint, request, tx);
        metrics().request(request.method(), endpoint.path().pattern(), r.httpStatus(), r.status().label(), System.nanoTime() - t0);
        return r;
    }

    /**
     * Prometheus' scrape, answered here in the text format (not the OpenHIM envelope): with {@code metrics.token} set
     * it takes that bearer token, otherwise the inbound Basic credentials.
     */
    private CompletionStage<HttpResponse> scrape(HttpRequest req, Materializer mat, String authorization) {
        req.discardEntityBytes(mat);
        MediatorMetrics metrics = metrics();
        if (!(metrics.hasToken() ? metrics.tokenMatches(authorization) : authorised(authorization))) {
            return CompletableFuture.completedFuture(HttpResponse.create().withStatus(401)
                    .addHeader(RawHeader.create("WWW-Authenticate", metrics.hasToken() ? "Bearer" : "Basic realm=\"mediator\""))
                    .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, "metrics need the mediator's credentials")));
        }
        ContentType text = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
        return CompletableFuture.supplyAsync(() -> HttpResponse.create().withStatus(200)
                .withEntity(HttpEntities.create(text, metrics.scrape().getBytes(StandardCharsets.UTF_8))), workers);
    }

    private MediatorResponse answer(Endpoint endpoint, MediatorRequest request, TransactionContext tx) {
        MDC.put("tx", tx.transactionId());
        long t0 = System.nanoTime();
        try {
            MediatorResponse r = endpoint.handler().handle(request, tx);
            log.info("{} {} -> {} {} ({} ms)", request.method(), request.path(), r.httpStatus(), r.status().label(), (System.nanoTime() - t0) / 1_000_000);
            return r;
        } catch (BadInputException e) {
            log.info("{} {} rejected: {}", request.method(), request.path(), e.getMessage());
            return MediatorResponse.rejected(e.status(), e.getMessage());
        } catch (UpstreamException e) {
            log.warn("{} {} upstream fault: {}", request.method(), request.path(), e.getMessage());
            return MediatorResponse.failed(e.answerStatus(), e.getMessage());
        } catch (Exception e) {
            log.error("{} {} failed", request.method(), request.path(), e);
            return MediatorResponse.failed(500, "internal error: " + Secrets.maskText(String.valueOf(e.getMessage())));
        } finally {
            MDC.remove("tx");
        }
    }

    private CompletionStage<HttpResponse> done(MediatorResponse r, TransactionContext tx) {
        return CompletableFuture.completedFuture(toHttp(r, tx));
    }

    private HttpResponse toHttp(MediatorResponse r, TransactionContext tx) {
        byte[] body = r.envelope(urn, tx);
        // the envelope's bytes are this response's alone: wrapped, not copied
        HttpResponse resp = HttpResponse.create().withStatus(r.httpStatus()).withEntity(HttpEntities.create(OPENHIM_JSON, ByteString.fromArrayUnsafe(body)));
        for (var h : r.headers().entrySet()) {
            if (h.getKey().equalsIgnoreCase("WWW-Authenticate") || h.getKey().equalsIgnoreCase("Retry-After")) {
                resp = resp.addHeader(RawHeader.create(h.getKey(), h.getValue()));
            }
        }
        return resp;
    }

    private boolean authorised(String authorization) {
        String user = settings.get("mediator.inbound.username", "");
        String pass = settings.get("mediator.inbound.password", "");
        if (user.isEmpty() && pass.isEmpty()) return true; // auth switched off explicitly (logged at start-up)
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) return false;
        byte[] given;
        try {
            given = Base64.getDecoder().decode(authorization.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] expected = (user + ":" + pass).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expected);
    }

    @Override
    public void close() {
        try {
            if (binding != null) binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // shutting down anyway
        }
        if (workers != null) workers.shutdownNow();
        synchronized (this) {
            if (metrics != null) metrics.close();
        }
        if (system != null) {
            system.terminate();
            try {
                system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
