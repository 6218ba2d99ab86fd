package org.chis.openhim.local;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny upstream for routing tests (JDK HttpServer on 127.0.0.1): answers {@link #status} with a JSON echo. */
final class Upstream implements AutoCloseable {
    record Hit(String method, String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) return e.getValue().get(0);
            }
            return null;
        }
    }

    final AtomicInteger status = new AtomicInteger(200);
    final List<Hit> hits = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    Upstream() throws IOException {
        // a real backlog and worker threads: core opens one connection per concurrent request (the load test)
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "upstream");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", ex -> {
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            hits.add(new Hit(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body));
            int s = status.get();
            byte[] out = ("{\"ok\":" + (s < 400) + ",\"hit\":" + hits.size() + ",\"path\":\"" + ex.getRequestURI().getPath() + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(s, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
    }

    int port() { return server.getAddress().getPort(); }

    @Override
    public void close() { server.stop(0); }
}
