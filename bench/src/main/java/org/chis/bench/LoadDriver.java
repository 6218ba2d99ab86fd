package org.chis.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Closed-loop load: {@code concurrency} threads each send one request, wait for the answer, send the next.
 * Only answers that start after the warm-up are measured (JIT, connection pools). Each thread keeps its own
 * histogram, merged at the end, so recording costs nothing shared. Java 17 has no virtual threads: 200
 * platform threads are fine for this.
 */
public final class LoadDriver {
    /** One request; returns the HTTP status (>= 400 or an exception counts as an error). */
    @FunctionalInterface
    public interface Call {
        int send() throws Exception;
    }

    private final Duration warmup;
    private final Duration measure;

    public LoadDriver(Duration warmup, Duration measure) {
        this.warmup = warmup;
        this.measure = measure;
    }

    public LoadResult run(int concurrency, Call call) throws InterruptedException {
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + measure.toNanos();
        List<Histogram> histograms = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Histogram h = new Histogram(60_000_000L, 3);
            histograms.add(h);
            Thread t = new Thread(() -> {
                try {
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        boolean failed;
                        try {
                            failed = call.send() >= 400;
                        } catch (Exception e) {
                            failed = true;
                        }
                        long took = System.nanoTime() - now;
                        if (now >= measureFrom) {
                            h.recordValue(Math.max(1, took / 1000));
                            if (failed) errors.incrementAndGet();
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        done.await();
        Histogram all = new Histogram(60_000_000L, 3);
        histograms.forEach(all::add);
        return new LoadResult(concurrency, all.getTotalCount(), errors.get(), measure.toNanos() / 1e9, all);
    }

    /** A JDK client for the load (HTTP/1.1 keep-alive, like OpenHIM core's router to a mediator). */
    public static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A call that POSTs {@code body} to {@code url} with optional Basic credentials and reads the whole answer. */
    public static Call post(HttpClient client, String url, String body, String basicAuth) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (basicAuth != null) b.header("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString(basicAuth.getBytes(StandardCharsets.UTF_8)));
        HttpRequest request = b.build();
        return () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode();
    }
}
