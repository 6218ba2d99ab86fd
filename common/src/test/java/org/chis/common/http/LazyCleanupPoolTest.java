package org.chis.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.chis.common.audit.TransactionContext;
import org.chis.common.config.Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbound pool keeps a connection for the next call and closes it once idle for http.idleKeepAliveMs (not
 * before, and at most LazyCleanupPool.LATENESS_MS after), although its cleanup is no longer woken by every call.
 */
class LazyCleanupPoolTest {
    HttpServer server;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() { server.stop(0); }

    @Test
    void anIdleConnectionIsReusedThenClosedAfterItsKeepAlive() throws Exception {
        long keepAliveMs = 600;
        OkHttpClient ok = RecordingHttpClient.baseClient(Settings.of(Map.of("http.idleKeepAliveMs", String.valueOf(keepAliveMs)), Path.of("."))).build();
        ConnectionPool pool = ok.connectionPool();
        RecordingHttpClient http = new RecordingHttpClient(ok);
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/x";
        TransactionContext tx = TransactionContext.detached("test");

        for (int i = 0; i < 5; i++) assertThat(http.send(tx, "call " + i, new Request.Builder().url(url).get().build()).status()).isEqualTo(200);
        long idleSince = System.nanoTime();
        assertThat(pool.connectionCount()).as("one kept-alive connection for all calls").isEqualTo(1);

        Thread.sleep(keepAliveMs / 2);
        assertThat(pool.idleConnectionCount()).as("not closed before its keep-alive").isEqualTo(1);

        while (pool.connectionCount() > 0 && System.nanoTime() - idleSince < 5_000_000_000L) Thread.sleep(10);
        long closedAfterMs = (System.nanoTime() - idleSince) / 1_000_000;
        assertThat(pool.connectionCount()).isZero();
        assertThat(closedAfterMs).isGreaterThanOrEqualTo(keepAliveMs)
                .isLessThan(keepAliveMs + LazyCleanupPool.LATENESS_MS + 300); // + scheduling slack on a busy machine
    }
}
