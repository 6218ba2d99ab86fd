package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;

/**
 * The commcare-openmrs mediator (not registered with a core) against the OpenMRS and CommCare simulators, with the
 * shipped mapping files of mediator-configs/commcare-openmrs and an in-memory state store.
 */
final class FormsFixture implements AutoCloseable {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static final String RECEIVER = "/a/" + CommCareSimulator.DOMAIN + "/receiver/";
    static final String REST = OpenMrsSimulator.CONTEXT + "/ws/rest/v1";

    final OpenMrsSimulator openmrs;
    final CommCareSimulator commcare;
    final MediatorApp app;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FormsFixture(Map<String, String> extra) {
        this(new OpenMrsSimulator(0), new CommCareSimulator(0), extra, "jdbc:h2:mem:forms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    FormsFixture(OpenMrsSimulator openmrs, CommCareSimulator commcare, Map<String, String> extra, String dbUrl) {
        this.openmrs = openmrs;
        this.commcare = commcare;
        this.app = Main.start(MediatorApp.create("commcare-openmrs", settings(openmrs, commcare, extra, dbUrl)));
    }

    static Settings settings(OpenMrsSimulator openmrs, CommCareSimulator commcare, Map<String, String> extra, String dbUrl) {
        return MediatorTestSettings.standalone(dbUrl)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .set("http.readTimeoutMs", "10000")
                .setAll(extra)
                .in(CONFIG);
    }

    /** One answer of the mediator: HTTP status and the OpenHIM envelope. */
    record Reply(int http, JsonNode envelope) {
        String status() { return envelope.path("status").asText(); }

        JsonNode body() { return Json.parse(envelope.path("response").path("body").asText("{}")); }

        String property(String name) { return envelope.path("properties").path(name).asText(null); }

        List<String> orchestrationNames() {
            List<String> n = new ArrayList<>();
            envelope.path("orchestrations").forEach(o -> n.add(o.path("name").asText()));
            return n;
        }

        /** The JSON body the mediator sent upstream in its first orchestration of that name. */
        JsonNode sent(String orchestration) {
            for (JsonNode o : envelope.path("orchestrations")) {
                if (o.path("name").asText().equals(orchestration)) return Json.parse(o.path("request").path("body").asText("{}"));
            }
            throw new AssertionError("no orchestration '" + orchestration + "' in " + orchestrationNames());
        }
    }

    Reply post(String path, String body) throws Exception { return post(path, body, "application/json; charset=utf-8"); }

    Reply post(String path, String body, String contentType) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(res.statusCode(), Json.parse(res.body()));
    }

    Reply form(JsonNode form) throws Exception { return post(Forms.COMMCARE_PATH, Json.write(form)); }

    /** The demo registration form (the one ./suite up offers) with its ids replaced. */
    static ObjectNode registration(String formId, String caseId, String nationalId) {
        ObjectNode f = (ObjectNode) demo();
        f.put("id", formId);
        ((ObjectNode) f.get("metadata")).put("instanceID", formId);
        ObjectNode form = (ObjectNode) f.get("form");
        ((ObjectNode) form.get("meta")).put("instanceID", formId);
        form.put("national_id", nationalId);
        ObjectNode c = (ObjectNode) form.get("case");
        c.put("@case_id", caseId);
        ((ObjectNode) c.get("update")).put("national_id", nationalId);
        return f;
    }

    /** A follow-up form of an existing case (mapping chis-followup.json: never creates a patient). */
    static ObjectNode followUp(String formId, String caseId, String nationalId, String visitDate) {
        // shaped as HQ forwards it: received_on and form.meta in UTC with a Z, metadata in UTC without a zone
        Instant end = OffsetDateTime.parse(visitDate).toInstant();
        String utc = end.atOffset(ZoneOffset.UTC).toLocalDateTime().toString();
        ObjectNode f = Json.object().put("id", formId).put("domain", CommCareSimulator.DOMAIN).put("received_on", end.plusSeconds(40).toString());
        f.putObject("metadata").put("instanceID", formId).put("timeEnd", utc).put("userID", CommCareSimulator.MOBILE_WORKER_ID)
                .put("username", CommCareSimulator.MOBILE_WORKER);
        ObjectNode form = f.putObject("form").put("@xmlns", "http://openrosa.org/formdesigner/chis-followup").put("@name", "Follow-up")
                .put("visit_date", visitDate).put("weight", "58").put("temperature", "38.4").put("fever", "yes").put("referred", "no");
        ObjectNode c = form.putObject("case").put("@case_id", caseId).put("@xmlns", "http://commcarehq.org/case/transaction/v2");
        c.putObject("update").put("national_id", nationalId);
        form.putObject("meta").put("instanceID", formId).put("timeEnd", end.toString());
        return f;
    }

    static JsonNode demo() {
        try (InputStream in = FormsFixture.class.getResourceAsStream("/demo/registration-form.json")) {
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates a patient in OpenMRS as a clerk would, with a National ID (what the registration mapping matches on). */
    String clerkRegisters(String given, String family, String gender, String birthdate, String nationalId) throws Exception {
        ObjectNode body = Json.object();
        ObjectNode person = body.putObject("person");
        person.putArray("names").addObject().put("givenName", given).put("familyName", family);
        person.put("gender", gender).put("birthdate", birthdate);
        body.putArray("identifiers").addObject().put("identifier", nationalId).put("identifierType", OpenMrsSimulator.ID_TYPE_NATIONAL_ID)
                .put("location", OpenMrsSimulator.LOCATION_CLINIC).put("preferred", true);
        HttpRequest r = HttpRequest.newBuilder(URI.create(openmrs.baseUrl() + "/ws/rest/v1/patient")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (OpenMrsSimulator.USER + ":" + OpenMrsSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8)).build();
        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 201) throw new IllegalStateException(res.body());
        return Json.parse(res.body()).path("uuid").asText();
    }

    /** Active (not voided) encounters in OpenMRS. */
    List<JsonNode> encounters() { return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean()).toList(); }

    @Override
    public void close() {
        app.close();
        commcare.close();
        openmrs.close();
    }
}
