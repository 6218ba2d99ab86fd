package org.chis.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.chis.common.json.Json;

/**
 * A small stand-in for the OpenHIM core API that checks logins exactly as core does: the legacy token
 * ({@code sha512(sha512(salt+password) + auth-salt + auth-ts)}) and/or HTTP Basic, depending on the mode.
 * Used where the real core cannot play a case (core 8.x users without a token passport, a 403, core down).
 */
public final class CoreStub implements AutoCloseable {
    public enum Mode { TOKEN_ONLY, BASIC_ONLY, BOTH, FORBIDDEN }

    public record Call(String method, String path, String scheme, String body) {}

    public static final String USER = "root@openhim.org";
    public static final String PASSWORD = "openhim-password";
    private static final String SALT = "d9bcb40e-ae65-478f-962e-5e5e5e7d0a01";

    private final HttpServer server;
    private volatile Mode mode;
    private volatile String salt = SALT;
    public final List<Call> calls = new CopyOnWriteArrayList<>();
    public final Map<String, ObjectNode> mediators = new ConcurrentHashMap<>();
    /** Config to return on the next heartbeat of a urn (what a console edit does). */
    public final Map<String, ObjectNode> pendingConfig = new ConcurrentHashMap<>();

    public CoreStub(Mode mode) throws IOException { this(mode, 0); }

    public CoreStub(Mode mode, int port) throws IOException {
        this.mode = mode;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() { return server.getAddress().getPort(); }

    public String url() { return "http://127.0.0.1:" + port(); }

    public void mode(Mode m) { this.mode = m; }

    /** A new password salt (what a password change in core does): tokens made with the old one are refused. */
    public void salt(String s) { this.salt = s; }

    public long count(String method, String pathPrefix) {
        return calls.stream().filter(c -> c.method().equals(method) && c.path().startsWith(pathPrefix)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String method = ex.getRequestMethod();
        if (method.equals("GET") && path.startsWith("/authenticate/")) {
            calls.add(new Call(method, path, "none", body));
            if (mode == Mode.BASIC_ONLY) { reply(ex, 404, "Could not find token passport for user"); return; }
            reply(ex, 200, Json.write(Json.object().put("salt", salt).put("ts", Instant.now().toString())));
            return;
        }
        String scheme = scheme(ex);
        calls.add(new Call(method, path, scheme, body));
        boolean accepted = switch (mode) {
            case TOKEN_ONLY -> scheme.equals("token");
            case BASIC_ONLY -> scheme.equals("basic");
            case BOTH, FORBIDDEN -> !scheme.equals("none") && !scheme.equals("bad");
        };
        if (!accepted) { reply(ex, 401, "Unauthorized"); return; }
        if (mode == Mode.FORBIDDEN) { reply(ex, 403, "User is not an admin"); return; }
        if (method.equals("POST") && path.equals("/mediators")) {
            JsonNode m = Json.parse(body);
            mediators.put(m.path("urn").asText(), (ObjectNode) m);
            reply(ex, 201, "Mediator registered");
        } else if (method.equals("POST") && path.matches("/mediators/.+/heartbeat")) {
            String urn = path.substring("/mediators/".length(), path.length() - "/heartbeat".length());
            if (!mediators.containsKey(urn)) { reply(ex, 404, "No mediator found for this urn."); return; }
            ObjectNode cfg = pendingConfig.remove(urn);
            reply(ex, 200, cfg == null ? "" : Json.write(cfg));
        } else if (method.equals("GET") && path.equals("/channels")) {
            reply(ex, 200, "[]");
        } else if (method.equals("POST") && path.matches("/mediators/.+/channels")) {
            reply(ex, 201, "");
        } else {
            reply(ex, 200, "{}");
        }
    }

    private String scheme(HttpExchange ex) {
        var h = ex.getRequestHeaders();
        String auth = h.getFirst("Authorization");
        if (auth != null && auth.startsWith("Basic ")) {
            String decoded = new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8);
            return decoded.equals(USER + ":" + PASSWORD) ? "basic" : "bad";
        }
        if (h.getFirst("auth-token") != null) {
            String expected = sha512(sha512(salt + PASSWORD) + h.getFirst("auth-salt") + h.getFirst("auth-ts"));
            // like core: auth-ts must be within authWindowSeconds (10) of core's clock
            boolean recent;
            try {
                recent = Math.abs(Instant.parse(h.getFirst("auth-ts")).toEpochMilli() - System.currentTimeMillis()) <= 10_000;
            } catch (RuntimeException e) {
                recent = false;
            }
            return recent && USER.equals(h.getFirst("auth-username")) && expected.equals(h.getFirst("auth-token")) ? "token" : "bad";
        }
        return "none";
    }

    private static String sha512(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() { server.stop(0); }
}
