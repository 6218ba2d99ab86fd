package org.chis.common.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import okhttp3.Dispatcher;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSink;
import org.chis.common.config.Settings;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one outbound HTTP client: every call becomes an orchestration of the current transaction
 * (request, response or error, timestamps), with secrets masked. Bodies are sent and read as UTF-8.
 */
public final class RecordingHttpClient {
    public static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final Logger log = LoggerFactory.getLogger(RecordingHttpClient.class);
    private static final int MAX_RECORDED_BODY = 64 * 1024;

    static {
        QuietWatchdog.arm();
    }

    /**
     * The writes' client and the same client (pool, timeouts) retrying GET/HEAD on a connection failure. An upstream
     * closes idle keep-alive connections (Jetty 30 s, nginx 75 s, Apache 5 s) while our pool keeps them 5 minutes, and
     * OkHttp only probes a pooled connection before a non-GET: without a retry the first read after a quiet spell
     * failed with "unexpected end of stream" and a whole saga was answered 502. A read can be sent again; a write is
     * never retried here.
     */
    private record Clients(OkHttpClient writes, OkHttpClient reads) {
        static Clients of(OkHttpClient http) { return new Clients(http, http.newBuilder().retryOnConnectionFailure(true).build()); }
    }

    private final Supplier<Clients> clients;

    public RecordingHttpClient(OkHttpClient http) {
        Clients fixed = Clients.of(http);
        this.clients = () -> fixed;
    }

    private RecordingHttpClient(Supplier<Clients> clients) { this.clients = clients; }

    private OkHttpClient clientFor(Request request) {
        Clients c = clients.get();
        return request.method().equals("GET") || request.method().equals("HEAD") ? c.reads() : c.writes();
    }

    /**
     * A client with the suite's timeouts ({@code http.connectTimeoutMs}, {@code http.readTimeoutMs}), which follow
     * console edits: a changed timeout builds new OkHttp clients on the same connection pool and dispatcher
     * ({@code newBuilder} shares them), so open connections and the request limits stay one.
     */
    public static RecordingHttpClient create(Settings settings) {
        OkHttpClient shared = baseClient(settings).build();
        return new RecordingHttpClient(settings.derived(s -> Clients.of(withTimeouts(shared.newBuilder(), s).build()),
                "http.connectTimeoutMs", "http.readTimeoutMs"));
    }

    private static OkHttpClient.Builder withTimeouts(OkHttpClient.Builder b, Settings s) {
        Duration read = Duration.ofMillis(s.getLong("http.readTimeoutMs", 30000));
        return b.connectTimeout(Duration.ofMillis(s.getLong("http.connectTimeoutMs", 5000))).readTimeout(read).writeTimeout(read);
    }

    public static OkHttpClient.Builder baseClient(Settings settings) {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(512);
        dispatcher.setMaxRequestsPerHost(256);
        OkHttpClient.Builder b = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                // idle connections are dropped before common server idle timeouts (Apache httpd and OpenHIM core: 5 s), so a
                // POST (never retried) does not go out on a connection the server already closed: 4 s keep-alive, closed
                // by the lazy cleanup at most 0.25 s later
                .connectionPool(LazyCleanupPool.create(64, settings.getLong("http.idleKeepAliveMs", 4000)));
        return withTimeouts(b, settings)
                .retryOnConnectionFailure(false); // a retried POST could create twice: retries are ours to decide
    }

    public OkHttpClient okHttp() { return clients.get().writes(); }

    public static RequestBody jsonBody(String json) { return new TextBody(json, JSON); }

    /** A UTF-8 text body that keeps its text, so the orchestration records it without encoding and decoding it again. */
    private static final class TextBody extends RequestBody {
        private final String text;
        private final byte[] bytes;
        private final MediaType type;

        TextBody(String text, MediaType type) {
            this.text = text;
            this.bytes = text.getBytes(StandardCharsets.UTF_8);
            this.type = type;
        }

        @Override
        public MediaType contentType() { return type; }

        @Override
        public long contentLength() { return bytes.length; }

        @Override
        public void writeTo(BufferedSink sink) throws IOException { sink.write(bytes); }
    }

    /**
     * Sends the request and records it on {@code tx}. HTTP error statuses are returned, not thrown; only
     * "nothing usable came back" (I/O error, timeout) throws {@link UpstreamException}.
     */
    public UpstreamResponse send(TransactionContext tx, String name, Request request) {
        return send(tx, name, request, MAX_RECORDED_BODY);
    }

    /**
     * As {@link #send(TransactionContext, String, Request)}, keeping at most {@code maxRecordedRequestBody} characters
     * of the request body in the orchestration: for the many chunks of one bulk upload, whose full bodies would make
     * the transaction too big for core to store (MongoDB documents end at 16 MB).
     */
    public UpstreamResponse send(TransactionContext tx, String name, Request request, int maxRecordedRequestBody) {
        Instant started = Instant.now();
        Orchestration.Request recordedRequest = recordRequest(request, started, Math.min(maxRecordedRequestBody, MAX_RECORDED_BODY));
        try (Response response = clientFor(request).newCall(request).execute()) {
            ResponseBody rb = response.body();
            String body = rb == null ? "" : new String(rb.bytes(), charsetOf(response));
            Map<String, String> headers = flatten(response.headers());
            tx.record(new Orchestration(name, null, recordedRequest,
                    new Orchestration.Response(response.code(), Secrets.maskHeaders(headers), masked(body), Instant.now()), null));
            return new UpstreamResponse(response.code(), body, headers);
        } catch (IOException e) {
            String msg = name + ": " + request.method() + " " + request.url().host() + ":" + request.url().port()
                    + request.url().encodedPath() + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            tx.record(new Orchestration(name, null, recordedRequest, null, msg));
            log.warn("{}", msg);
            throw new UpstreamException(msg, 0, e);
        }
    }

    /** Reads a streamed answer; gets the status, the headers and the body as it arrives. */
    @FunctionalInterface
    public interface StreamReader<T> {
        T read(int status, Map<String, String> headers, InputStream body) throws IOException;
    }

    /**
     * Like {@link #send} for answers too large to hold (a report of a million rows): a 2xx body goes to
     * {@code reader} while it arrives and is never kept whole; the orchestration records the status, headers and
     * the byte count instead of the body. A non-2xx answer is read (it is small), recorded and thrown as an
     * {@link UpstreamException} with that status. Whatever {@code reader} throws is passed on after recording.
     */
    public <T> T stream(TransactionContext tx, String name, Request request, StreamReader<T> reader) {
        Instant started = Instant.now();
        Orchestration.Request recordedRequest = recordRequest(request, started, MAX_RECORDED_BODY);
        Response response;
        try {
            response = clientFor(request).newCall(request).execute();
        } catch (IOException e) {
            String msg = name + ": " + request.method() + " " + request.url().host() + ":" + request.url().port()
                    + request.url().encodedPath() + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            tx.record(new Orchestration(name, null, recordedRequest, null, msg));
            throw new UpstreamException(msg, 0, e);
        }
        try (response) {
            Map<String, String> headers = flatten(response.headers());
            ResponseBody rb = response.body();
            if (!response.isSuccessful()) {
                String body;
                try {
                    body = rb == null ? "" : new String(rb.bytes(), charsetOf(response));
                } catch (IOException e) {
                    body = "(body unreadable: " + e.getMessage() + ")";
                }
                tx.record(new Orchestration(name, null, recordedRequest,
                        new Orchestration.Response(response.code(), Secrets.maskHeaders(headers), masked(body), Instant.now()), null));
                String excerpt = body.length() > 300 ? body.substring(0, 300) + "..." : body;
                throw new UpstreamException(name + ": HTTP " + response.code() + (excerpt.isBlank() ? "" : ": " + excerpt.strip()), response.code());
            }
            long[] count = {0};
            InputStream counting = new FilterInputStream(rb == null ? InputStream.nullInputStream() : rb.byteStream()) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) count[0]++;
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) count[0] += n;
                    return n;
                }
            };
            String error = null;
            try {
                return reader.read(response.code(), headers, counting);
            } catch (IOException e) {
                error = name + ": reading the answer failed after " + count[0] + " bytes: " + e.getMessage();
                throw new UpstreamException(error, 0, e);
            } catch (RuntimeException e) {
                error = name + ": " + e.getMessage();
                throw e;
            } finally {
                tx.record(new Orchestration(name, null, recordedRequest, new Orchestration.Response(response.code(),
                        Secrets.maskHeaders(headers), "(streamed: " + count[0] + " bytes read, body not recorded)", Instant.now()), error));
            }
        }
    }

    private static Charset charsetOf(MediaType type) {
        return type == null ? StandardCharsets.UTF_8 : type.charset(StandardCharsets.UTF_8);
    }

    /**
     * The charset of each Content-Type seen, parsed once: OkHttp keeps only the header's text and
     * {@code body.contentType()} parsed it again on every call. A form's upstreams answer with a few types (OpenMRS
     * JSON, CommCare JSON and XML), alternating; the map stops growing at {@value #MAX_CONTENT_TYPES}.
     */
    private static final Map<String, Charset> CHARSETS = new ConcurrentHashMap<>();
    private static final int MAX_CONTENT_TYPES = 64;

    /** As {@code charsetOf(response.body().contentType())}. */
    static Charset charsetOf(Response response) {
        String type = response.header("Content-Type");
        if (type == null) return StandardCharsets.UTF_8;
        Charset charset = CHARSETS.get(type);
        if (charset == null) {
            charset = charsetOf(MediaType.parse(type));
            if (CHARSETS.size() < MAX_CONTENT_TYPES) CHARSETS.put(type, charset);
        }
        return charset;
    }

    private static Orchestration.Request recordRequest(Request request, Instant at, int maxBody) {
        String body = null;
        if (request.body() instanceof TextBody text) {
            body = masked(text.text, maxBody);
        } else if (request.body() != null) {
            try (Buffer buffer = new Buffer()) {
                request.body().writeTo(buffer);
                body = masked(buffer.readString(charsetOf(request.body().contentType())), maxBody);
            } catch (IOException e) {
                body = "(body not recorded: " + e.getMessage() + ")";
            }
        }
        var url = request.url();
        return new Orchestration.Request(request.method(), url.host(), String.valueOf(url.port()), url.encodedPath(),
                url.encodedQuery() == null ? null : Secrets.maskText(url.encodedQuery()),
                Secrets.maskHeaders(flatten(request.headers())), body, at);
    }

    /**
     * One entry per header name, its values joined with ", ", as {@code names()} and {@code values(name)} give them
     * (names in case-insensitive order, each in its first spelling): read by index, without the sorted set and the
     * value lists those build for every call's request and answer.
     */
    static Map<String, String> flatten(Headers headers) {
        int size = headers.size();
        String[] names = new String[size];
        int distinct = 0;
        next:
        for (int i = 0; i < size; i++) {
            String n = headers.name(i);
            for (int j = 0; j < distinct; j++) if (names[j].equalsIgnoreCase(n)) continue next;
            names[distinct++] = n;
        }
        Arrays.sort(names, 0, distinct, String.CASE_INSENSITIVE_ORDER);
        Map<String, String> out = new LinkedHashMap<>(2 * distinct);
        for (int j = 0; j < distinct; j++) {
            String value = null;
            for (int i = 0; i < size; i++) {
                if (headers.name(i).equalsIgnoreCase(names[j])) value = value == null ? headers.value(i) : value + ", " + headers.value(i);
            }
            out.put(names[j], value);
        }
        return out;
    }

    /**
     * Masks and truncates for the record. Only the part that is kept is masked (plus a margin, so a secret cut by
     * the limit is still seen whole): masking a 500 KB data value chunk in full cost more than sending it.
     */
    private static String masked(String s) { return masked(s, MAX_RECORDED_BODY); }

    private static String masked(String s, int max) {
        if (s == null) return null;
        if (s.length() <= max) return Secrets.maskText(s);
        String head = Secrets.maskText(s.substring(0, Math.min(s.length(), max + 4096)));
        return head.substring(0, Math.min(head.length(), max)) + "...(truncated, " + s.length() + " chars)";
    }
}
