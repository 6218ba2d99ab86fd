package org.chis.simulators.rapidpro;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.chis.common.json.Json;

/**
 * Plays a RapidPro workspace's API v2 on WireMock: {@code POST/GET /api/v2/broadcasts.json} and
 * {@code GET/POST /api/v2/contacts.json}, with token auth, Django REST framework error bodies, URN validation,
 * contacts created for unknown URNs, and cursor paging. Stateful: what was sent can be listed back.
 * Tests inject faults with their own stubs (WireMock priority 1-9 beats the simulator's 10).
 * <p>
 * {@link #flowWebhook} builds the body a RapidPro flow's Call Webhook action posts to the sms-codecard mediator.
 */
public final class RapidProSimulator implements AutoCloseable {
    public static final String DEFAULT_TOKEN = "demo-rapidpro-token";
    static final int SIMULATOR_PRIORITY = 10;

    private final WireMockServer server;
    private final RapidProWorkspace workspace;

    public RapidProSimulator(int port) { this(port, DEFAULT_TOKEN); }

    public RapidProSimulator(int port, String token) {
        this.workspace = new RapidProWorkspace(token);
        WireMockConfiguration options = WireMockConfiguration.options().stubRequestLoggingDisabled(true)
                .bindAddress("127.0.0.1")
                .containerThreads(64)
                .notifier(new Slf4jNotifier(false))
                .extensions(new RapidProApi(workspace));
        if (port == 0) options.dynamicPort();
        else options.port(port);
        server = new WireMockServer(options);
        server.start();
        stubApi();
    }

    private void stubApi() {
        String t = RapidProApi.NAME;
        server.stubFor(post(urlPathEqualTo("/api/v2/broadcasts.json")).atPriority(SIMULATOR_PRIORITY).willReturn(aResponse().withTransformers(t)));
        server.stubFor(get(urlPathEqualTo("/api/v2/broadcasts.json")).atPriority(SIMULATOR_PRIORITY).willReturn(aResponse().withTransformers(t)));
        server.stubFor(get(urlPathEqualTo("/api/v2/contacts.json")).atPriority(SIMULATOR_PRIORITY).willReturn(aResponse().withTransformers(t)));
        server.stubFor(post(urlPathEqualTo("/api/v2/contacts.json")).atPriority(SIMULATOR_PRIORITY).willReturn(aResponse().withTransformers(t)));
        // anything else: what Django REST framework answers for an unknown endpoint
        server.stubFor(any(anyUrl()).atPriority(SIMULATOR_PRIORITY + 10).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"detail\":\"Not found.\"}")));
    }

    public String baseUrl() { return "http://127.0.0.1:" + server.port(); }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    /** The API token requests must carry ({@code Authorization: Token ...}). */
    public String token() { return workspace.token(); }

    /** Broadcasts sent so far, oldest first, as RapidPro would list them. */
    public List<JsonNode> broadcasts() { return workspace.broadcasts(); }

    /** Broadcasts sent to one URN, oldest first. */
    public List<JsonNode> broadcastsTo(String urn) {
        return workspace.broadcasts().stream().filter(b -> {
            for (JsonNode u : b.path("urns")) if (u.asText().equals(urn)) return true;
            return false;
        }).toList();
    }

    public List<JsonNode> contacts() { return workspace.contacts(); }

    /** Adds a contact as if created in the RapidPro UI; returns its uuid. */
    public String addContact(String name, String language, String... urns) {
        return workspace.addContact(name, language, List.of(urns));
    }

    /**
     * The next {@code requests} API calls answer as RapidPro does over the org's API rate: 429,
     * {@code {"detail": "Request was throttled. Expected available in N seconds."}} and {@code Retry-After: N}.
     */
    public void throttle(int requests, int waitSeconds) { workspace.throttle(requests, waitSeconds); }

    /** Forgets every broadcast, contact and injected stub; the API stubs are put back. */
    public void reset() {
        workspace.clear();
        server.resetAll();
        stubApi();
    }

    /**
     * The JSON a flow's Call Webhook action posts for one incoming SMS, using the body the sms-codecard
     * README asks flow designers to configure.
     */
    public static ObjectNode flowWebhook(String messageUuid, String contactUuid, String contactName, String urn,
                                         String language, String text) {
        ObjectNode b = Json.object();
        ObjectNode c = b.putObject("contact");
        c.put("uuid", contactUuid).put("name", contactName).put("urn", urn);
        if (language == null) c.putNull("language");
        else c.put("language", language);
        b.putObject("flow").put("uuid", "5b2b6cb1-3cf5-4f5a-9f0a-6f1c3a1e0b7d").put("name", "SMS code card");
        b.putObject("run").put("uuid", UUID.nameUUIDFromBytes(("run:" + messageUuid).getBytes(StandardCharsets.UTF_8)).toString());
        ObjectNode in = b.putObject("input");
        in.put("uuid", messageUuid).put("text", text).put("channel", "b1f0c3f2-7d0e-4b8e-9a43-1f2e5d6c7a80")
                .put("created_on", Instant.now().toString());
        b.putObject("results");
        return b;
    }

    /**
     * The body a Call Webhook action posts when its body is left as goflow's legacy default (flows migrated from
     * the old editor; goflow's {@code LegacyWebhookPayload}): contact {uuid, name, urn}, flow {uuid, name}, path,
     * results, run {uuid, created_on}, input {attachments, channel {uuid, name}, created_on, text, type,
     * urn {display, path, scheme}, uuid} and channel {uuid, name}; no contact language.
     */
    public static ObjectNode legacyFlowWebhook(String messageUuid, String contactUuid, String contactName, String urn, String text) {
        String created = Instant.now().toString();
        ObjectNode b = Json.object();
        ObjectNode c = b.putObject("contact").put("uuid", contactUuid);
        if (contactName == null) c.putNull("name");
        else c.put("name", contactName);
        c.put("urn", urn);
        b.putObject("flow").put("uuid", "5b2b6cb1-3cf5-4f5a-9f0a-6f1c3a1e0b7d").put("name", "SMS code card");
        String nodeUuid = "9a4b8e2c-1f3d-4c5e-8a7b-6c5d4e3f2a1b";
        b.putArray("path").addObject().put("uuid", UUID.nameUUIDFromBytes(("step:" + messageUuid).getBytes(StandardCharsets.UTF_8)).toString())
                .put("node_uuid", nodeUuid).put("arrived_on", created).put("exit_uuid", "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
        b.putObject("results");
        b.putObject("run").put("uuid", UUID.nameUUIDFromBytes(("run:" + messageUuid).getBytes(StandardCharsets.UTF_8)).toString())
                .put("created_on", created);
        ObjectNode channel = Json.object().put("uuid", "b1f0c3f2-7d0e-4b8e-9a43-1f2e5d6c7a80").put("name", "Vodacom shortcode");
        ObjectNode in = b.putObject("input");
        in.putArray("attachments");
        in.set("channel", channel.deepCopy());
        in.put("created_on", created).put("text", text).put("type", "msg");
        int colon = urn.indexOf(':');
        in.putObject("urn").put("display", colon < 0 ? urn : urn.substring(colon + 1))
                .put("path", colon < 0 ? urn : urn.substring(colon + 1)).put("scheme", colon < 0 ? "" : urn.substring(0, colon));
        in.put("uuid", messageUuid);
        b.set("channel", channel);
        return b;
    }

    @Override
    public void close() { server.stop(); }
}
