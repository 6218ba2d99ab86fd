package org.chis.openhim.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreApi;
import org.chis.common.openhim.CoreApi.ApiResponse;

/**
 * Small admin helpers over the OpenHIM core 4.x API for integration tests: clients, channels, mediator default
 * channels, transactions, reruns, heartbeat. Every call throws {@link CoreAdminException} (with core's status and
 * body) on a non-2xx answer and {@link UncheckedIOException} on I/O errors, so tests stay short.
 */
public final class CoreAdmin {
    private static final Pattern TASK_ID = Pattern.compile("id ([0-9a-fA-F]{24})");

    private final CoreApi api;
    private final long cacheRefreshMillis;
    private final Supplier<String> logTail;

    public CoreAdmin(CoreApi api, long cacheRefreshMillis) { this(api, cacheRefreshMillis, () -> ""); }

    /** {@code logTail} (e.g. core's log tail) is appended to the failure messages of the wait helpers. */
    public CoreAdmin(CoreApi api, long cacheRefreshMillis, Supplier<String> logTail) {
        this.api = api;
        this.cacheRefreshMillis = cacheRefreshMillis;
        this.logTail = logTail;
    }

    /** A non-2xx answer from core. */
    public static final class CoreAdminException extends RuntimeException {
        private final int status;

        public CoreAdminException(String what, ApiResponse r) {
            super(what + ": HTTP " + r.status() + " " + (r.body() == null ? "" : r.body()));
            this.status = r.status();
        }

        public int status() { return status; }
    }

    public CoreApi api() { return api; }

    // ------------------------------------------------------------------------------------------- clients, channels

    /**
     * Creates a client that authenticates to the router with HTTP Basic {@code clientId:password}. Core 4.x checks
     * {@code sha512_hex(password + passwordSalt)} for a node crypto algorithm (users use salt + password instead).
     */
    public void createClient(String clientId, String password, String... roles) {
        String salt = UUID.randomUUID().toString();
        ObjectNode c = Json.object();
        c.put("clientID", clientId);
        c.put("name", clientId);
        ArrayNode r = c.putArray("roles");
        for (String role : roles) r.add(role);
        c.put("passwordAlgorithm", "sha512");
        c.put("passwordSalt", salt);
        c.put("passwordHash", sha512(password + salt));
        check("POST /clients", call("POST", "/clients", c));
    }

    /** A plain HTTP channel: {@code urlPattern} (a regex, e.g. {@code ^/test$}) routed to http://host:port/path. */
    public static ObjectNode httpChannel(String name, String urlPattern, String host, int port, String path, String... allowRoles) {
        ObjectNode ch = Json.object();
        ch.put("name", name);
        ch.put("urlPattern", urlPattern);
        ch.put("type", "http");
        ch.put("authType", "private");
        ArrayNode allow = ch.putArray("allow");
        for (String role : allowRoles) allow.add(role);
        ArrayNode methods = ch.putArray("methods");
        for (String m : new String[] {"GET", "POST", "PUT", "DELETE", "PATCH"}) methods.add(m);
        ObjectNode route = ch.putArray("routes").addObject();
        route.put("name", name + " route");
        route.put("type", "http");
        route.put("host", host);
        route.put("port", port);
        route.put("path", path);
        route.put("primary", true);
        return ch;
    }

    /** Creates a channel and returns its id once the router's channel cache can have seen it. */
    public String createChannel(ObjectNode channel) {
        check("POST /channels", call("POST", "/channels", channel));
        String name = channel.path("name").asText();
        String id = channel(name).map(c -> c.path("_id").asText())
                .orElseThrow(() -> new IllegalStateException("channel '" + name + "' was created but is not listed"));
        awaitRouterCache();
        return id;
    }

    /** The channel named {@code name}, if core has one ({@code GET /channels}). */
    public Optional<JsonNode> channel(String name) {
        for (JsonNode c : check("GET /channels", call("GET", "/channels", null)).json()) {
            if (c.path("name").asText().equals(name)) return Optional.of(c);
        }
        return Optional.empty();
    }

    /** Waits until {@code condition} holds (checked every 200 ms); else fails naming {@code what}, with core's log tail. */
    public void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + "\n" + logTail.get());
            }
            sleep(200);
        }
    }

    /** Updates a channel ({@code PUT /channels/<id>}, partial fields allowed) and waits for the router's cache. */
    public void updateChannel(String channelId, ObjectNode fields) {
        check("PUT /channels/" + channelId, call("PUT", "/channels/" + channelId, fields));
        awaitRouterCache();
    }

    /**
     * Installs a registered mediator's default channels by name (none = all) and waits for the router's cache:
     * {@code POST /mediators/<urn>/channels} with a JSON array of names, as the console's "install" button does.
     */
    public void installMediatorChannels(String urn, String... channelNames) {
        ArrayNode names = Json.array();
        for (String n : channelNames) names.add(n);
        check("POST /mediators/" + urn + "/channels", call("POST", "/mediators/" + enc(urn) + "/channels", names));
        awaitRouterCache();
    }

    /**
     * Core's router re-reads channels at most every {@code caching.refreshMillis}, lazily on the next request,
     * and exposes no way to ask whether it did: waiting refreshMillis (+ margin) is exact, polling is not possible.
     */
    public void awaitRouterCache() { sleep(cacheRefreshMillis + 150); }

    // ----------------------------------------------------------------------------------------------- mediators

    /** {@code GET /mediators/<urn>}, empty when core does not know the urn. */
    public Optional<JsonNode> mediator(String urn) {
        ApiResponse r = call("GET", "/mediators/" + enc(urn), null);
        if (r.status() == 404) return Optional.empty();
        return Optional.of(check("GET /mediators/" + urn, r).json());
    }

    /**
     * What an operator's "save" of a mediator's config in the console does: {@code PUT /mediators/<urn>/config} with
     * the current config and {@code changes} (param names of the configDefs) merged in. Returns the config before.
     */
    public ObjectNode editMediatorConfig(String urn, Map<String, String> changes) {
        ObjectNode typed = Json.object();
        changes.forEach(typed::put);
        return editMediatorConfig(urn, typed);
    }

    /** As {@link #editMediatorConfig(String, Map)} with typed values (a {@code number} param must be a JSON number). */
    public ObjectNode editMediatorConfig(String urn, ObjectNode changes) {
        JsonNode before = mediator(urn).orElseThrow(() -> new IllegalStateException("core does not know " + urn)).path("config");
        ObjectNode config = before.isObject() ? ((ObjectNode) before).deepCopy() : Json.object();
        config.setAll(changes);
        check("PUT /mediators/" + urn + "/config", call("PUT", "/mediators/" + enc(urn) + "/config", config));
        return before.isObject() ? (ObjectNode) before : Json.object();
    }

    /** Puts back a config {@link #editMediatorConfig} returned. */
    public void restoreMediatorConfig(String urn, ObjectNode config) {
        check("PUT /mediators/" + urn + "/config", call("PUT", "/mediators/" + enc(urn) + "/config", config));
    }

    /** Waits until a mediator's settings hold {@code expected} for {@code key} (its heartbeat brought the edit). */
    public static void awaitSetting(Settings settings, String key, String expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!expected.equals(settings.get(key, null))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(key + " is still '" + settings.get(key, null) + "', not '" + expected + "', after " + timeout.toSeconds() + " s");
            }
            sleep(100);
        }
    }

    /** Public {@code GET /heartbeat}: {@code {"master": uptime, "now": ms, "mediators": {urn: uptime|null}}}. */
    public JsonNode heartbeatStatus() { return check("GET /heartbeat", call("GET", "/heartbeat", null)).json(); }

    // ------------------------------------------------------------------------------------------- transactions

    /** All transactions, newest first, full representation (bodies, orchestrations, routes). */
    public ArrayNode transactions() { return transactions(""); }

    /**
     * {@code GET /transactions?filterRepresentation=full&<extraQuery>}, newest first. {@code extraQuery} is raw query
     * text, e.g. {@code "filterLimit=10&filterPage=0"} or {@code "filters=" + URLEncoder.encode("{\"status\":\"Failed\"}")};
     * see {@link #filters(String)}.
     */
    public ArrayNode transactions(String extraQuery) {
        String q = "/transactions?filterRepresentation=full" + (extraQuery == null || extraQuery.isEmpty() ? "" : "&" + extraQuery);
        JsonNode n = check("GET " + q, call("GET", q, null)).json();
        return n.isArray() ? (ArrayNode) n : Json.array();
    }

    /** {@code filters=<url-encoded JSON>} for {@link #transactions(String)}, e.g. {@code filters("{\"status\":\"Failed\"}")}. */
    public static String filters(String json) { return "filters=" + enc(json); }

    /** One transaction by id (full representation). */
    public JsonNode transaction(String id) {
        return check("GET /transactions/" + id, call("GET", "/transactions/" + id + "?filterRepresentation=full", null)).json();
    }

    /**
     * Polls (every 200 ms) until a transaction matches, and returns it. Core sets a transaction's final status a
     * moment after the router answered, so wait for the status you expect, not just for the transaction.
     */
    public JsonNode waitForTransaction(Predicate<JsonNode> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ArrayNode last = Json.array();
        while (true) {
            last = transactions();
            for (JsonNode t : last) {
                if (match.test(t)) return t;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching transaction within " + timeout.toMillis() + " ms; core has " + last.size()
                        + summary(last) + logSuffix());
            }
            sleep(200);
        }
    }

    private String logSuffix() {
        String tail = logTail.get();
        return tail == null || tail.isBlank() ? "" : "\ncore log tail:\n" + tail;
    }

    private static String summary(ArrayNode txs) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (JsonNode t : txs) {
            if (n++ == 10) {
                sb.append("\n  ...");
                break;
            }
            sb.append("\n  ").append(t.path("_id").asText()).append(' ').append(t.path("request").path("method").asText())
                    .append(' ').append(t.path("request").path("path").asText()).append(" -> ").append(t.path("status").asText())
                    .append(" (").append(t.path("response").path("status").asText("-")).append(')');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------- reruns

    /** Queues a rerun of one transaction ({@code POST /tasks {"tids":[id],"batchSize":1}}) and returns the task id. */
    public String rerun(String transactionId) {
        ObjectNode body = Json.object();
        body.putArray("tids").add(transactionId);
        body.put("batchSize", 1);
        ApiResponse r = check("POST /tasks", call("POST", "/tasks", body));
        Matcher m = TASK_ID.matcher(r.body());
        if (!m.find()) throw new IllegalStateException("POST /tasks: no task id in '" + r.body() + "'");
        return m.group(1);
    }

    /** {@code GET /tasks/<id>} (core 4.x needs the filter parameters even for one task). */
    public JsonNode task(String taskId) {
        String p = "/tasks/" + taskId + "?filterPage=0&filterLimit=10&filters=%7B%7D";
        return check("GET " + p, call("GET", p, null)).json();
    }

    /**
     * Polls until the task is Completed (or Cancelled) and returns it; its {@code transactions[i].rerunID} names each
     * rerun's new transaction. {@code rerunStatus} tells how it went only for plain routes: core 4.0.5 leaves it empty
     * when a mediator set the status (use {@link #rerunAndWait}). The rerun processor picks tasks up every
     * {@code rerun.processor.pollPeriodMillis}.
     */
    public JsonNode waitForTask(String taskId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode t = task(taskId);
            String status = t.path("status").asText();
            if (status.equals("Completed") || status.equals("Cancelled")) return t;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("task " + taskId + " not completed within " + timeout.toMillis() + " ms: " + t + logSuffix());
            }
            sleep(200);
        }
    }

    /**
     * Reruns one transaction as the console does and returns the new (child) transaction once core has given it its
     * final status (anything but Processing): works for mediator routes too, where the task's rerunStatus stays empty.
     */
    public JsonNode rerunAndWait(String transactionId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode task = waitForTask(rerun(transactionId), timeout);
        String childId = null;
        for (JsonNode t : task.path("transactions")) {
            if (t.path("tid").asText().equals(transactionId)) childId = t.path("rerunID").asText(null);
        }
        if (childId == null || childId.isBlank()) throw new AssertionError("task for " + transactionId + " made no rerun: " + task + logSuffix());
        String id = childId;
        long left = Math.max(1, deadline - System.nanoTime());
        return waitForTransaction(t -> t.path("_id").asText().equals(id) && !t.path("status").asText().equals("Processing"),
                Duration.ofNanos(left));
    }

    // --------------------------------------------------------------------------------------------------- plumbing

    private ApiResponse call(String method, String path, JsonNode body) {
        try {
            return api.call(method, path, body == null ? null : Json.write(body));
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + ": " + e.getMessage(), e);
        }
    }

    private static ApiResponse check(String what, ApiResponse r) {
        if (!r.ok()) throw new CoreAdminException(what, r);
        return r;
    }

    /** URL-encodes a query value or path segment, keeping ':' and '@' (mediator urns, emails) readable. */
    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%3A", ":").replace("%40", "@");
    }

    static String sha512(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
