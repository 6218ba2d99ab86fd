package org.chis.simulators.cht;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.chis.common.json.Json;

/**
 * A CHT (Community Health Toolkit) server on WireMock: the REST API the mediators write to ({@code /api/v1/people},
 * {@code /api/v1/places}, {@code /api/v1/records}, see {@link ChtApi}) with what it stored readable by tests, and
 * CHT's outbound push ({@link #push}) that POSTs a doc mapped by an {@code outbound} config to a destination, as
 * sentinel does. A district hospital {@link #HEALTH_FACILITY} and a CHW area {@link #CHW_AREA} exist from the start
 * (the place the OpenMRS feed files people under). Tests inject faults with their own stubs (WireMock priority
 * 1-9 beats the simulator's 10).
 */
public final class ChtSimulator implements AutoCloseable {
    public static final String USER = "openhim-mediator";
    public static final String PASSWORD = "cht-secret";
    public static final String HEALTH_FACILITY = "0a3c8b1e6f2d4c5a9b7e1f3d5c7a9b11";
    public static final String CHW_AREA = "5d1e7c3a9b2f4e6a8c0d2e4f6a8b0c22";
    /** JSON forms configured in app_settings {@code forms} (what {@code /api/v1/records} accepts). */
    public static final Set<String> DEFAULT_FORMS = Set.of("OPENMRS_ENCOUNTER", "HOME_VISIT");
    static final int SIMULATOR_PRIORITY = 10;

    private final WireMockServer server;
    private final ChtStore store = new ChtStore();
    private final Set<String> forms = ConcurrentHashMap.newKeySet();
    private final List<OutboundPush.Attempt> pushes = new ArrayList<>();

    public ChtSimulator(int port) {
        forms.addAll(DEFAULT_FORMS);
        WireMockConfiguration options = WireMockConfiguration.options().stubRequestLoggingDisabled(true)
                .bindAddress("127.0.0.1").containerThreads(32).notifier(new Slf4jNotifier(false))
                .extensions(new ChtApi(store, forms, USER, PASSWORD));
        if (port == 0) options.dynamicPort();
        else options.port(port);
        server = new WireMockServer(options);
        server.start();
        stubApi();
        seed();
    }

    private void stubApi() {
        server.stubFor(any(urlPathMatching("/(api|medic)/.*")).atPriority(SIMULATOR_PRIORITY)
                .willReturn(aResponse().withTransformers(ChtApi.NAME)));
        server.stubFor(any(anyUrl()).atPriority(SIMULATOR_PRIORITY + 10).willReturn(aResponse().withStatus(404)));
    }

    private void seed() {
        store.create(Json.object().put("_id", HEALTH_FACILITY).put("type", "district_hospital").put("name", "Kisumu County Referral Hospital")
                .put("reported_date", 1_700_000_000_000L), ChtStore.Kind.PLACE);
        ObjectNode area = Json.object().put("_id", CHW_AREA).put("type", "health_center").put("name", "Manyatta CHW area")
                .put("reported_date", 1_700_000_000_000L);
        area.putObject("parent").put("_id", HEALTH_FACILITY);
        store.create(area, ChtStore.Kind.PLACE);
    }

    /** The CHT URL the mediators' {@code cht.url} takes. */
    public String baseUrl() { return "http://127.0.0.1:" + server.port(); }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    /** Adds a JSON form code to app_settings {@code forms}. */
    public void addForm(String code) { forms.add(code); }

    /** People created through the API (and their docs as stored: parent lineage, _rev), in creation order. */
    public List<ObjectNode> people() { return store.all(ChtStore.Kind.PERSON); }

    public List<ObjectNode> places() { return store.all(ChtStore.Kind.PLACE); }

    /** data_record docs made by {@code /api/v1/records}: {@code form}, {@code from}, {@code reported_date}, {@code fields}. */
    public List<ObjectNode> reports() { return store.all(ChtStore.Kind.REPORT); }

    public Optional<ObjectNode> doc(String id) { return store.get(id); }

    /** Stores a doc as a CHW's phone would sync it (a report or person made in the app), for pushing it out. */
    public ObjectNode saveFromApp(ObjectNode doc, boolean person) {
        store.create(doc, person ? ChtStore.Kind.PERSON : ChtStore.Kind.REPORT);
        return store.get(doc.get("_id").asText()).orElseThrow();
    }

    /**
     * Pushes one doc through an outbound config ({@code {"destination": {"base_url","path","auth":{"type":"basic",
     * "username","password"}}, "mapping": {...}}}; the password stands for the one CHT keeps under password_key).
     * Returns the HTTP status the destination answered (0: not reachable). A mapping error throws.
     */
    public OutboundPush.Attempt push(String name, JsonNode outboundConfig, JsonNode doc) {
        OutboundPush.Attempt a = OutboundPush.send(name, outboundConfig, doc);
        synchronized (pushes) {
            pushes.add(a);
        }
        return a;
    }

    /** The payload an outbound config makes of a doc, without sending it. */
    public static ObjectNode outboundPayload(String name, JsonNode outboundConfig, JsonNode doc) { return OutboundPush.payload(name, outboundConfig, doc); }

    public List<OutboundPush.Attempt> pushes() {
        synchronized (pushes) {
            return List.copyOf(pushes);
        }
    }

    /** Forgets every doc and injected stub; the seeded places and API stubs are put back. */
    public void reset() {
        store.clear();
        synchronized (pushes) {
            pushes.clear();
        }
        forms.clear();
        forms.addAll(DEFAULT_FORMS);
        server.resetAll();
        stubApi();
        seed();
    }

    @Override
    public void close() { server.stop(); }
}
