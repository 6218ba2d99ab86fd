package org.chis.common.openhim;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client of the OpenHIM core API (default {@code https://localhost:8080}). Logs in with HTTP Basic or the
 * legacy token scheme ({@code core.api.auth=auto|basic|token}); trusts core's self-signed certificate only
 * when configured to ({@code core.api.certificate} PEM file or {@code core.api.truststore}), never by default.
 */
public final class CoreApi {
    private static final Logger log = LoggerFactory.getLogger(CoreApi.class);
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    public record ApiResponse(int status, String body) {
        public boolean ok() { return status >= 200 && status < 300; }
        public JsonNode json() { return body == null || body.isBlank() ? Json.object() : Json.parse(body); }
    }

    private final String baseUrl;
    private final String username;
    private final String password;
    private final CoreApiAuth mode;
    private final OkHttpClient http;
    private volatile CoreApiAuth working; // the scheme that last succeeded in AUTO mode
    private volatile TokenSalt tokenSalt; // the user's salt and core's clock, so a token call needs no extra round trip

    /**
     * The user's password salt (public, changes only with the password) and core's clock offset from ours, as
     * {@code GET /authenticate/{email}} answered. Core accepts an {@code auth-ts} within its {@code authWindowSeconds}
     * (default 10 s) of its own clock and does not require a fresh salt per call, so one answer serves many calls.
     */
    private record TokenSalt(String salt, long coreClockOffsetMillis, long fetchedNanos) {
        static final long MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(10);

        boolean fresh() { return System.nanoTime() - fetchedNanos < MAX_AGE_NANOS; }

        /** Now on core's clock, ISO-8601 with milliseconds (what JavaScript's Date.parse reads). */
        String coreNow() {
            return Instant.ofEpochMilli(System.currentTimeMillis() + coreClockOffsetMillis).toString();
        }
    }

    public CoreApi(String baseUrl, String username, String password, CoreApiAuth mode, OkHttpClient http) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.username = username;
        this.password = password;
        this.mode = mode;
        this.http = http;
    }

    /** From settings: core.api.url, core.api.user, core.api.password, core.api.auth, and the TLS trust keys. */
    public static CoreApi fromSettings(Settings s) {
        OkHttpClient.Builder b = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(30))
                // core (node) closes idle keep-alive connections after 5 s; drop ours sooner so a GET never
                // goes out on a connection core has already closed ("unexpected end of stream")
                .connectionPool(new ConnectionPool(4, 2, TimeUnit.SECONDS))
                .retryOnConnectionFailure(false);
        configureTrust(b, s);
        return new CoreApi(s.get("core.api.url", "https://localhost:8080"), s.get("core.api.user", "root@openhim.org"),
                s.require("core.api.password"), CoreApiAuth.parse(s.get("core.api.auth", "auto")), b.build());
    }

    public String baseUrl() { return baseUrl; }

    /** The scheme the last successful call used (null before any). */
    public CoreApiAuth workingScheme() { return mode == CoreApiAuth.AUTO ? working : mode; }

    public ApiResponse get(String path) throws IOException { return call("GET", path, null); }

    public ApiResponse post(String path, String json) throws IOException { return call("POST", path, json); }

    public ApiResponse put(String path, String json) throws IOException { return call("PUT", path, json); }

    public ApiResponse delete(String path) throws IOException { return call("DELETE", path, null); }

    public ApiResponse call(String method, String path, String json) throws IOException {
        switch (mode) {
            case BASIC: return send(method, path, json, CoreApiAuth.BASIC);
            case TOKEN: return send(method, path, json, CoreApiAuth.TOKEN);
            default:
                CoreApiAuth first = working != null ? working : CoreApiAuth.BASIC;
                ApiResponse r = send(method, path, json, first);
                if (r.status() == 401) {
                    // 401 = this scheme is not accepted (or not enabled) here: try the other one. 403 is a real refusal.
                    CoreApiAuth other = first == CoreApiAuth.BASIC ? CoreApiAuth.TOKEN : CoreApiAuth.BASIC;
                    ApiResponse second = send(method, path, json, other);
                    if (second.status() != 401) {
                        if (working != other) log.info("OpenHIM core API accepts {} login", other.name().toLowerCase());
                        working = other;
                    }
                    return second;
                }
                working = first;
                return r;
        }
    }

    private ApiResponse send(String method, String path, String json, CoreApiAuth scheme) throws IOException {
        if (scheme == CoreApiAuth.BASIC) {
            return sendOnce(method, path, json, "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)), null);
        }
        TokenSalt cached = tokenSalt;
        boolean reused = cached != null && cached.fresh();
        TokenSalt salt = reused ? cached : fetchTokenSalt();
        if (salt == null) return new ApiResponse(401, "token login unavailable: GET /authenticate/" + username + " refused");
        ApiResponse r = sendOnce(method, path, json, null, salt);
        if (r.status() == 401 && reused) {
            // password changed or our clock jumped: a 401 means core did nothing, so ask for the salt again and resend
            tokenSalt = null;
            salt = fetchTokenSalt();
            if (salt == null) return new ApiResponse(401, "token login unavailable: GET /authenticate/" + username + " refused");
            r = sendOnce(method, path, json, null, salt);
        }
        return r;
    }

    /** One call, with a Basic header or token headers made from {@code salt}. */
    private ApiResponse sendOnce(String method, String path, String json, String basic, TokenSalt salt) throws IOException {
        Request.Builder rb = new Request.Builder().url(baseUrl + path);
        RequestBody body = json == null ? (method.equals("POST") || method.equals("PUT") ? RequestBody.create(new byte[0], JSON) : null)
                : RequestBody.create(json.getBytes(StandardCharsets.UTF_8), JSON);
        rb.method(method, body);
        if (basic != null) {
            rb.header("Authorization", basic);
        } else {
            String passwordHash = sha512(salt.salt() + password);
            String requestSalt = UUID.randomUUID().toString();
            String ts = salt.coreNow(); // core's clock, so our clock skew does not matter
            rb.header("auth-username", username).header("auth-ts", ts).header("auth-salt", requestSalt)
                    .header("auth-token", sha512(passwordHash + requestSalt + ts));
        }
        Request request = rb.build();
        try {
            return execute(request);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // a kept-alive connection closed by core under us: an idempotent call is safe to send once more
            if (!(method.equals("GET") || method.equals("PUT") || method.equals("DELETE"))) throw e;
            log.debug("{} {} failed on a reused connection ({}); retrying once", method, path, e.getMessage());
            return execute(request);
        }
    }

    private ApiResponse execute(Request request) throws IOException {
        try (Response r = http.newCall(request).execute()) {
            return new ApiResponse(r.code(), r.body() == null ? "" : r.body().string());
        }
    }

    /** The salt and core's clock from the public GET /authenticate/{email} (cached), or null when core has no token login for the user. */
    private TokenSalt fetchTokenSalt() throws IOException {
        Request r = new Request.Builder().url(baseUrl + "/authenticate/" + URLEncoder.encode(username, StandardCharsets.UTF_8)).get().build();
        try (Response resp = http.newCall(r).execute()) {
            if (resp.code() != 200 || resp.body() == null) {
                log.warn("OpenHIM core refuses token login for {} (GET /authenticate answered {})", username, resp.code());
                return null;
            }
            JsonNode n = Json.parse(resp.body().string());
            long offset = Instant.parse(n.path("ts").asText()).toEpochMilli() - System.currentTimeMillis();
            TokenSalt salt = new TokenSalt(n.path("salt").asText(), offset, System.nanoTime());
            tokenSalt = salt;
            return salt;
        } catch (DateTimeParseException e) {
            throw new IOException("GET /authenticate/" + username + ": unreadable ts (" + e.getMessage() + ")", e);
        }
    }

    static String sha512(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS trust for core's certificate: a PEM file, a truststore, or (tests only, loudly) trust-all. */
    static void configureTrust(OkHttpClient.Builder b, Settings s) {
        try {
            KeyStore ks = null;
            var pem = s.find("core.api.certificate");
            var store = s.find("core.api.truststore");
            if (pem.isPresent()) {
                ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                int i = 0;
                try (InputStream in = Files.newInputStream(Path.of(pem.get()))) {
                    for (Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("core-" + i++, c);
                }
                if (i == 0) throw new ConfigException("core.api.certificate " + pem.get() + ": no certificate in file");
            } else if (store.isPresent()) {
                ks = KeyStore.getInstance(store.get().endsWith(".jks") ? "JKS" : "PKCS12");
                char[] pw = s.get("core.api.truststorePassword", "").toCharArray();
                try (InputStream in = Files.newInputStream(Path.of(store.get()))) { ks.load(in, pw); }
            }
            if (ks != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
                b.sslSocketFactory(ctx.getSocketFactory(), tm);
                // core's generated certificate names "localhost"; we pinned this exact certificate, so accept its name
                if (s.getBool("core.api.pinnedCertificateAnyHost", true) && pem.isPresent()) b.hostnameVerifier((h, sess) -> true);
            } else if (s.getBool("core.api.trustAll", false)) {
                log.warn("core.api.trustAll=true: the OpenHIM core certificate is NOT checked. Use only in tests.");
                X509TrustManager all = new X509TrustManager() {
                    public void checkClientTrusted(X509Certificate[] c, String a) {}
                    public void checkServerTrusted(X509Certificate[] c, String a) {}
                    public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
                };
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {all}, new SecureRandom());
                b.sslSocketFactory(ctx.getSocketFactory(), all).hostnameVerifier((h, sess) -> true);
            }
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("cannot set up TLS trust for OpenHIM core: " + e.getMessage(), e);
        }
    }
}
