package org.chis.common.openhim;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.chis.common.http.BadInputException;

class MediatorServerTest {
    static final String NAME = "José Ñandú 中文 ሰላም";
    static WireMockServer upstream;
    static MediatorServer server;
    static final HttpClient client = HttpClient.newHttpClient();
    static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("openhim-core:s3cret".getBytes(StandardCharsets.UTF_8));

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort());
        upstream.start();
        // the upstream answers with the name it was given, like OpenMRS echoing a created person
        upstream.stubFor(post(urlEqualTo("/openmrs/ws/rest/v1/person")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json;charset=UTF-8")
                .withBody("{\"uuid\":\"p-1\",\"display\":\"" + NAME + "\"}")));
        upstream.stubFor(post(urlEqualTo("/down")).willReturn(aResponse().withStatus(503).withBody("maintenance")));
        Settings s = Settings.of(Map.of("mediator.port", "0", "mediator.bind", "127.0.0.1", "mediator.inbound.username", "openhim-core",
                "mediator.inbound.password", "s3cret", "mediator.maxBodyBytes", "2048"));
        RecordingHttpClient http = RecordingHttpClient.create(s);
        server = new MediatorServer("urn:mediator:test", s)
                .route("POST", "/people", (req, tx) -> {
                    JsonNode in = req.json();
                    if (!in.hasNonNull("name")) throw new BadInputException("field 'name' is required");
                    UpstreamResponse r = http.send(tx, "create person", new Request.Builder()
                            .url(upstream.baseUrl() + "/openmrs/ws/rest/v1/person")
                            .header("Authorization", "Basic YWRtaW46QWRtaW4xMjM=")
                            .post(RecordingHttpClient.jsonBody(Json.write(Json.object().put("name", in.get("name").asText()).put("password", "hunter2"))))
                            .build());
                    tx.property("personUuid", r.json().path("uuid").asText());
                    return MediatorResponse.successful(r.json());
                })
                .route("POST", "/forms", MediatorServer.JSON, (req, tx) -> {
                    handled.incrementAndGet();
                    return MediatorResponse.successful(req.json());
                })
                .route("POST", "/headers", (req, tx) -> MediatorResponse.successful(Json.MAPPER.valueToTree(req.headers())))
                .route("POST", "/down", (req, tx) -> {
                    UpstreamResponse r = http.send(tx, "call down", new Request.Builder().url(upstream.baseUrl() + "/down")
                            .post(RecordingHttpClient.jsonBody("{}")).build());
                    throw new UpstreamException("upstream answered " + r.status(), r.status());
                })
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
        upstream.stop();
    }

    static final AtomicInteger handled = new AtomicInteger();

    static HttpResponse<String> sendTyped(String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/forms"))
                .header("Authorization", AUTH).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) b.header("Content-Type", contentType);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void aJsonEndpointAnswers415ToOtherBodyTypesBeforeItsHandlerRuns() throws Exception {
        int before = handled.get();
        for (String type : new String[] {"text/plain", "text/plain; charset=utf-8", "application/xml", "application/x-www-form-urlencoded", null}) {
            HttpResponse<String> r = sendTyped(type, "{\"form\": {}}");
            assertThat(r.statusCode()).as(String.valueOf(type)).isEqualTo(415);
            JsonNode env = Json.parse(r.body());
            assertThat(env.path("status").asText()).isEqualTo("Failed");
            assertThat(env.path("response").path("body").asText()).contains("not accepted on POST /forms").contains("send it as application/json")
                    .contains(type == null ? "no Content-Type" : type.split(";")[0]);
        }
        assertThat(handled.get()).isEqualTo(before);
        // charset and other parameters, and the type's case, do not matter
        for (String type : new String[] {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"}) {
            assertThat(sendTyped(type, "{\"form\": {}}").statusCode()).as(type).isEqualTo(200);
        }
        assertThat(handled.get()).isEqualTo(before + 3);
    }

    static HttpResponse<String> send(String method, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .header("X-OpenHIM-TransactionID", "tx-123")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (auth != null) b.header("Authorization", auth);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void utf8SurvivesTheWholeWayAndTheEnvelopeCarriesOrchestrations() throws Exception {
        HttpResponse<String> r = send("POST", "/people", "{\"name\":\"" + NAME + "\"}", AUTH);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json+openhim");
        JsonNode env = Json.parse(r.body());
        assertThat(env.path("x-mediator-urn").asText()).isEqualTo("urn:mediator:test");
        assertThat(env.path("status").asText()).isEqualTo("Successful");
        assertThat(env.at("/response/status").asInt()).isEqualTo(200);
        assertThat(Json.parse(env.at("/response/body").asText()).path("display").asText()).isEqualTo(NAME);
        assertThat(env.at("/properties/personUuid").asText()).isEqualTo("p-1");
        JsonNode orch = env.at("/orchestrations/0");
        assertThat(orch.path("name").asText()).isEqualTo("create person");
        assertThat(orch.at("/request/timestamp").asText()).isNotBlank();
        assertThat(orch.at("/request/body").asText()).contains(NAME);
        assertThat(orch.at("/response/status").asInt()).isEqualTo(201);
        // what the upstream received, byte for byte
        upstream.verify(postRequestedFor(urlEqualTo("/openmrs/ws/rest/v1/person")).withRequestBody(WireMock.containing(NAME)));
        byte[] received = upstream.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().endsWith("/person"))
                .findFirst().orElseThrow().getRequest().getBody();
        assertThat(new String(received, StandardCharsets.UTF_8)).contains(NAME);
    }

    @Test
    void secretsNeverReachTheOrchestrationRecord() throws Exception {
        HttpResponse<String> r = send("POST", "/people", "{\"name\":\"A\"}", AUTH);
        JsonNode orch = Json.parse(r.body()).at("/orchestrations/0");
        assertThat(orch.at("/request/headers/Authorization").asText()).isEqualTo("****");
        assertThat(orch.at("/request/body").asText()).doesNotContain("hunter2").contains("\"password\":\"****\"");
        assertThat(r.body()).doesNotContain("YWRtaW46QWRtaW4xMjM=").doesNotContain("hunter2");
    }

    @Test
    void callersWithoutCoresCredentialsAreRefused() throws Exception {
        assertThat(send("POST", "/people", "{\"name\":\"A\"}", null).statusCode()).isEqualTo(401);
        String wrong = "Basic " + Base64.getEncoder().encodeToString("openhim-core:guess".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = send("POST", "/people", "{\"name\":\"A\"}", wrong);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(Json.parse(r.body()).path("status").asText()).isEqualTo("Failed");
        upstream.verify(0, postRequestedFor(urlEqualTo("/nothing")).withHeader("x", equalTo("y")));
    }

    @Test
    void badInputGetsA4xxWithAMessageAndNoRetryFlag() throws Exception {
        HttpResponse<String> malformed = send("POST", "/people", "{\"name\": ", AUTH);
        assertThat(malformed.statusCode()).isEqualTo(400);
        JsonNode env = Json.parse(malformed.body());
        assertThat(env.at("/response/body").asText()).contains("malformed JSON");
        assertThat(env.has("error")).isFalse();
        HttpResponse<String> missing = send("POST", "/people", "{}", AUTH);
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(Json.parse(missing.body()).at("/response/body").asText()).contains("field 'name' is required");
        assertThat(send("POST", "/people", "x".repeat(5000), AUTH).statusCode()).isEqualTo(413);
        assertThat(send("GET", "/people", null, AUTH).statusCode()).isEqualTo(405);
        assertThat(send("POST", "/nowhere", "{}", AUTH).statusCode()).isEqualTo(404);
    }

    @Test
    void upstreamFaultsFailWithAnErrorObjectSoCoreCanAutoRetry() throws Exception {
        HttpResponse<String> r = send("POST", "/down", "{}", AUTH);
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode env = Json.parse(r.body());
        assertThat(env.path("status").asText()).isEqualTo("Failed");
        assertThat(env.at("/error/message").asText()).contains("503");
        assertThat(env.at("/orchestrations/0/response/status").asInt()).isEqualTo(503);
    }

    /** A body sent chunked, a few bytes at a time (so a UTF-8 character is split between chunks), as a slow client would. */
    static HttpResponse<String> sendTrickled(String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/people"))
                .header("Content-Type", "application/json").header("Authorization", AUTH)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
                    int at;

                    @Override
                    public int read() { return at < bytes.length ? bytes[at++] & 0xff : -1; }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (at >= bytes.length) return -1;
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        int n = Math.min(Math.min(len, 3), bytes.length - at);
                        System.arraycopy(bytes, at, b, off, n);
                        at += n;
                        return n;
                    }
                })).build();
        return client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamedBodyIsReadWholeAndOneOverTheLimitIsRefused() throws Exception {
        HttpResponse<String> r = sendTrickled("{\"name\":\"" + NAME + "\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode env = Json.parse(r.body());
        assertThat(Json.parse(env.at("/response/body").asText()).path("display").asText()).isEqualTo(NAME);
        assertThat(env.at("/orchestrations/0/request/body").asText()).contains(NAME);
        // no Content-Length to refuse it by: the limit (mediator.maxBodyBytes 2048) is found while reading
        HttpResponse<String> big = sendTrickled("{\"name\":\"" + "x".repeat(3000) + "\"}");
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(Json.parse(big.body()).at("/response/body").asText()).contains("mediator.maxBodyBytes");
        // and the server goes on answering
        assertThat(send("POST", "/people", "{\"name\":\"B\"}", AUTH).statusCode()).isEqualTo(200);
    }

    static HttpResponse<String> sendBytes(String path, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").header("Authorization", AUTH)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void aBodyThatIsNotValidUtf8IsRefusedAndOneCarryingTheReplacementCharacterPasses() throws Exception {
        int before = handled.get();
        byte[] bad = "{\"name\":\"Jos\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1); // é as one Latin-1 byte
        HttpResponse<String> r = sendBytes("/forms", bad);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.parse(r.body()).at("/response/body").asText()).contains("not valid UTF-8");
        assertThat(handled.get()).isEqualTo(before);
        HttpResponse<String> ok = sendBytes("/forms", ("{\"name\":\"\uFFFD " + NAME + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(Json.parse(Json.parse(ok.body()).at("/response/body").asText()).path("name").asText()).isEqualTo("\uFFFD " + NAME);
    }

    @Test
    void handlersSeeTheHeadersAsTheCallerSentThem() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/headers"))
                .header("Content-Type", "application/json").header("Authorization", AUTH).header("X-OpenHIM-TransactionID", "tx-9")
                .header("If-Match", "W/\"3\"").header("X-Forwarded-For", "10.0.0.7")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode seen = Json.parse(Json.parse(r.body()).at("/response/body").asText());
        assertThat(seen.path("authorization").asText()).isEqualTo(AUTH);
        assertThat(seen.path("x-openhim-transactionid").asText()).isEqualTo("tx-9");
        assertThat(seen.path("if-match").asText()).isEqualTo("W/\"3\"");
        assertThat(seen.path("x-forwarded-for").asText()).isEqualTo("10.0.0.7");
        // only what the caller sent: no headers pekko-http makes up (its request-timeout handle, the peer's address)
        assertThat(seen.has("timeout-access")).isFalse();
        assertThat(seen.has("remote-address")).isFalse();
    }

    @Test
    void healthIsOpen() throws Exception {
        HttpResponse<String> r = send("GET", "/health", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.parse(r.body()).path("status").asText()).isEqualTo("UP");
    }
}
