package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;

/**
 * The sms-codecard mediator (not registered with a core) with the shipped cards and senders of
 * mediator-configs/sms-codecard, against the OpenMRS, RapidPro and OpenSRP simulators,
 * "today" pinned to {@link #NOW}, an in-memory state store.
 */
final class SmsFixture implements AutoCloseable {
    static final Path CONFIG = Path.of("../../mediator-configs/sms-codecard").toAbsolutePath().normalize();
    static final String NOW = "2026-06-15T09:00:00Z";
    static final String ANC_ENCOUNTER_TYPE = "2549af50-75c8-4aeb-87ca-4bb2cef6c69a";
    static final String JOHN = "+255712000002";
    static final String ASHA = "+255712000001";
    static final String MARIE = "+243810000003";
    static final Map<String, String> PATIENTS = Map.of("1000Y", "Amina Juma", "1001W", "Neema Said", "1002U", "Grace Mushi", "1003R", "Aline Mbuyi");

    final OpenMrsSimulator openmrs;
    final RapidProSimulator rapidpro;
    final OpenSrpSimulator opensrpEvents;
    /** The OpenSRP simulator's WireMock, for injected faults and request counts. */
    final WireMockServer opensrp;
    final MediatorApp app;
    final String dbUrl;
    final String dbUser;
    final String dbPassword;
    final String dbSchema;
    final Map<String, String> patientUuids = new HashMap<>();
    private StateStore store;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    SmsFixture(Map<String, String> extra) {
        this.openmrs = new OpenMrsSimulator(0);
        this.rapidpro = new RapidProSimulator(0);
        this.opensrpEvents = new OpenSrpSimulator(0);
        this.opensrp = opensrpEvents.wireMock();
        seedOpenMrs(openmrs, patientUuids);
        this.dbUrl = extra.getOrDefault("db.url", "jdbc:h2:mem:sms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        this.dbUser = extra.getOrDefault("db.user", "");
        this.dbPassword = extra.getOrDefault("db.password", "");
        this.dbSchema = extra.get("db.schema");
        this.app = Main.start(settings(extra));
    }

    static void seedOpenMrs(OpenMrsSimulator openmrs, Map<String, String> uuids) {
        openmrs.addMetadata("encountertype", ANC_ENCOUNTER_TYPE, "ANC");
        openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
        openmrs.addConcept("703AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Positive", "N/A");
        openmrs.addConcept("664AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Negative", "N/A");
        openmrs.addConcept("1643AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Malaria rapid test", "Coded",
                "703AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "664AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        PATIENTS.forEach((id, name) -> {
            String[] n = name.split(" ");
            uuids.put(id, openmrs.registerPatient(n[0], n[1], "F", LocalDate.of(1998, 3, 4), id));
        });
    }

    Settings settings(Map<String, String> extra) {
        return MediatorTestSettings.standalone(dbUrl)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .set("rapidpro.url", rapidpro.baseUrl())
                .set("rapidpro.token", rapidpro.token())
                .upstream("opensrp", opensrpEvents.baseUrl(), OpenSrpSimulator.USER, OpenSrpSimulator.PASSWORD)
                .set("sms.clock.fixed", NOW)
                .set("sms.timezone", "UTC")
                .set("sms.workers", "4")
                .set("http.readTimeoutMs", "5000")
                .setAll(extra)
                .in(CONFIG);
    }

    /** The mediator's answer: HTTP status and the OpenHIM envelope. */
    record Reply(int http, JsonNode envelope, String retryAfter) {
        String status() { return envelope.path("status").asText(); }

        JsonNode body() { return Json.parse(envelope.path("response").path("body").asText("{}")); }

        String text() { return body().path("reply").asText(null); }

        String kind() { return body().path("kind").asText(null); }

        int responseStatus() { return envelope.path("response").path("status").asInt(); }

        List<String> orchestrations() {
            List<String> n = new ArrayList<>();
            envelope.path("orchestrations").forEach(o -> n.add(o.path("name").asText()));
            return n;
        }
    }

    Reply sms(String messageUuid, String phone, String language, String text) throws Exception {
        return postWebhook(RapidProSimulator.flowWebhook(messageUuid, UUID.nameUUIDFromBytes(phone.getBytes()).toString(), "Worker",
                "tel:" + phone, language, text).toString(), Map.of());
    }

    Reply postWebhook(String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/sms/inbound")).timeout(Duration.ofSeconds(60));
        b.header("Content-Type", "application/json");
        headers.forEach(b::setHeader); // may replace the Content-Type
        b.POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), Json.parse(r.body()), r.headers().firstValue("Retry-After").orElse(null));
    }

    /** A second view on the mediator's database (same in-memory H2), for asserting what was kept. */
    Warehouse warehouse() {
        if (store == null) store = StateStore.open(dbUrl, dbUser, dbPassword, dbSchema, "sms-codecard");
        return new Warehouse(store);
    }

    /** Encounters OpenMRS holds that are not voided. */
    List<JsonNode> liveEncounters() {
        return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean(false)).toList();
    }

    static String uuid(int n) { return String.format("00000000-0000-4000-8000-%012d", n); }

    @Override
    public void close() {
        app.close();
        if (store != null) store.close();
        opensrpEvents.close();
        rapidpro.close();
        openmrs.close();
    }
}
