package org.chis.bench;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Collections;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The "direct" side of added latency for a workflow: the upstream calls one mediator request made, read from the
 * simulators' WireMock request journals, replayed by the driver straight against the same simulators (same fixed
 * latency), one after the other as the mediator's saga makes them. Values that must be new per request (form id,
 * national id, case id ..., and the uuids the mediator put in its creates) are replaced per replay, so the simulators
 * answer as they answered the mediator (a new patient, not "identifier already in use").
 */
public final class UpstreamReplay {
    /**
     * Headers the JDK client sets itself or refuses, and If-Match: every replay updates the resource the recorded
     * request read (its server-assigned id is not replaced), so the recorded version is stale after the first.
     */
    private static final Set<String> NOT_COPIED = Set.of("host", "content-length", "connection", "transfer-encoding", "upgrade",
            "expect", "keep-alive", "date", "via", "warning", "from", "if-match");

    private record Recorded(String method, String url, List<HttpHeader> headers, String body, int status, long at, int seq) {}

    /** A "uuid" the mediator chose itself in a create (idempotent creates): new per replay, or the upstream refuses a duplicate. */
    private static final Pattern MINTED = Pattern.compile("\"uuid\"\\s*:\\s*\"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\"");

    private final List<Recorded> calls;
    private final Set<String> minted = new LinkedHashSet<>();
    private volatile String firstMismatch;

    private UpstreamReplay(List<Recorded> calls) {
        this.calls = calls;
        for (Recorded c : calls) {
            if (c.method().equals("GET") || c.body() == null) continue;
            Matcher m = MINTED.matcher(c.body());
            while (m.find()) minted.add(m.group(1));
        }
    }

    /** Empties the journals, so that {@link #recorded} sees only what comes next. */
    public static void clear(WireMockServer... upstreams) {
        for (WireMockServer w : upstreams) w.resetRequests();
    }

    /** The calls the upstreams received since their journals were cleared, in arrival order (the mediator's saga is sequential). */
    public static UpstreamReplay recorded(WireMockServer... upstreams) {
        List<Recorded> calls = new ArrayList<>();
        int seq = 0;
        for (WireMockServer w : upstreams) {
            List<ServeEvent> events = new ArrayList<>(w.getAllServeEvents());
            Collections.reverse(events); // the journal lists newest first
            for (ServeEvent e : events) {
                LoggedRequest r = e.getRequest();
                List<HttpHeader> headers = r.getHeaders() == null ? List.of() : List.copyOf(r.getHeaders().all());
                calls.add(new Recorded(r.getMethod().getName(), r.getAbsoluteUrl(), headers, r.getBodyAsString(),
                        e.getResponse().getStatus(), r.getLoggedDate().getTime(), seq++));
            }
        }
        calls.sort(Comparator.comparingLong(Recorded::at).thenComparingInt(Recorded::seq));
        return new UpstreamReplay(List.copyOf(calls));
    }

    public int size() { return calls.size(); }

    /** The first replayed call whose answer differed in class from the mediator's (for the notes), or null. */
    public String firstMismatch() { return firstMismatch; }

    /** The calls as "METHOD path" (no query), for the notes: what was replayed. */
    public String describe() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Recorded c : calls) {
            String path = URI.create(c.url()).getPath().replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{uuid}");
            counts.merge(c.method() + " " + path, 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((k, n) -> parts.add(n == 1 ? k : n + " x " + k));
        return String.join(", ", parts);
    }

    /**
     * One replay of every call in order. {@code fresh(n)} maps values of the recorded request to this replay's
     * (replaced in URLs and bodies). A call whose status class differs from what the mediator got counts as an
     * error (its status is returned); all calls are made either way, so every replay costs the same round trips.
     */
    public LoadDriver.Call call(HttpClient client, LongFunction<Map<String, String>> fresh) {
        AtomicLong seq = new AtomicLong();
        return () -> {
            Map<String, String> values = new LinkedHashMap<>(fresh.apply(seq.incrementAndGet()));
            for (String uuid : minted) values.putIfAbsent(uuid, UUID.randomUUID().toString());
            int result = 200;
            for (Recorded c : calls) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(replace(c.url(), values))).timeout(Duration.ofSeconds(60));
                for (HttpHeader h : c.headers()) {
                    if (NOT_COPIED.contains(h.key().toLowerCase(Locale.ROOT))) continue;
                    for (String v : h.values()) {
                        try {
                            b.header(h.key(), v);
                        } catch (IllegalArgumentException restricted) {
                            // a header the JDK client manages itself
                        }
                    }
                }
                String body = c.body() == null ? "" : replace(c.body(), values);
                b.method(c.method(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
                HttpResponse<byte[]> answer = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                int status = answer.statusCode();
                if (status / 100 != c.status() / 100 && result == 200) {
                    result = Math.max(400, status);
                    if (firstMismatch == null) {
                        String text = new String(answer.body(), StandardCharsets.UTF_8);
                        firstMismatch = c.method() + " " + URI.create(c.url()).getPath() + " answered " + status + " (the mediator's got "
                                + c.status() + "): " + text.substring(0, Math.min(200, text.length()));
                    }
                }
            }
            return result;
        };
    }

    private static String replace(String s, Map<String, String> values) {
        for (Map.Entry<String, String> v : values.entrySet()) s = s.replace(v.getKey(), v.getValue());
        return s;
    }
}
