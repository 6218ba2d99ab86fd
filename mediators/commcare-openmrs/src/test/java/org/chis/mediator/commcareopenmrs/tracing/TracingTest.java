package org.chis.mediator.commcareopenmrs.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.cht.ChtSimulator;
import org.chis.simulators.cht.OutboundPush;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Lost-to-follow-up tracing through the whole mediator against the OpenMRS and CommCare simulators, with the shipped
 * {@code tracing.json} and {@code forms/trace-outcome.json}: OpenMRS patients reach CommCare through the feed (as in a
 * deployment), the tracing poll makes trace cases, and the CHW's outcome form comes back as an encounter with an obs.
 */
class TracingTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static final String OUTCOME_XMLNS = "http://openrosa.org/formdesigner/chis-trace-outcome";
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static ChtSimulator cht;

    MediatorApp app;
    String db;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startSimulators() {
        openmrs = new OpenMrsSimulator(0);
        commcare = new CommCareSimulator(0);
        cht = new ChtSimulator(0);
    }

    @AfterAll
    static void stopSimulators() {
        openmrs.close();
        commcare.close();
        cht.close();
    }

    @BeforeEach
    void start() {
        openmrs.reset();
        commcare.reset();
        cht.reset();
        cht.addForm("TRACE"); // the JSON form of trace reports, in CHT's app_settings forms
        db = "jdbc:h2:mem:tracing-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> s = MediatorTestSettings.standalone(db)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.categories", "patient");
        s.put("tracing.enabled", "true");
        s.put("forms.ownXmlns", shipped("forms.ownXmlns"));
        s.put("tracing.targets", "commcare,cht");
        s.put("cht.feeds.enabled", "true");
        s.put("cht.feeds.categories", "patient");
        s.put("cht.url", cht.baseUrl());
        s.put("cht.user", ChtSimulator.USER);
        s.put("cht.password", ChtSimulator.PASSWORD);
        s.put("cht.person.parentPlace", ChtSimulator.CHW_AREA);
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, CONFIG)));
    }

    @AfterEach
    void stop() { app.close(); }

    @Test
    void anOverduePatientGetsOneTraceTaskAReturnedOrNotYetDueOneNoneAndRerunsMakeNothingTwice() throws Exception {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String overdue = patient("Achieng", "Odhiambo", "100-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(75), Map.of());
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(45), Map.of());
        String cameBack = patient("Baraka", "Mwangi", "100-2");
        openmrs.recordEncounter(cameBack, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(60), Map.of());
        openmrs.recordEncounter(cameBack, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, now.minusDays(5), Map.of());
        String notDue = patient("Chebet", "Kiprono", "100-3");
        openmrs.recordEncounter(notDue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(10), Map.of());
        feedToCommCare();
        CommCareCase patientCase = commcare.casesByExternalId(overdue).get(0);

        JsonNode first = poll();
        assertThat(first.path("candidates").asInt()).isEqualTo(3);
        assertThat(first.path("tasksCreated").asInt()).as(Json.write(first)).isEqualTo(1);
        List<CommCareCase> traces = traceCases();
        assertThat(traces).hasSize(1);
        CommCareCase trace = traces.get(0);
        assertThat(trace.property("openmrs_uuid")).isEqualTo(overdue);
        assertThat(trace.property("trace_rule")).isEqualTo("missed-clinic-visit");
        assertThat(trace.property("last_visit_date")).isEqualTo(now.minusDays(45).toLocalDate().toString());
        assertThat(trace.property("patient_case_id")).isEqualTo(patientCase.caseId());
        assertThat(trace.ownerId()).isEqualTo(patientCase.ownerId());
        assertThat(Json.write(trace.toJson())).contains(patientCase.caseId()); // indexed to the patient's case (parent)

        JsonNode rerun = poll();
        assertThat(rerun.path("tasksCreated").asInt()).isZero();
        assertThat(rerun.path("alreadyTraced").asInt()).isEqualTo(1);
        // the ledger lost as well: the same case id and instanceID, HQ keeps one case
        sql("DELETE FROM ledger WHERE source_key LIKE 'trace-task:%'");
        poll();
        assertThat(traceCases()).hasSize(1);
        assertThat(commcare.submittedForms().stream().filter(f -> "http://chis.org/xforms/trace-task".equals(f.xmlns())).count()).isEqualTo(1);
        // HQ forwards the trace-task form like any other: it is the suite's own (forms.ownXmlns), echo, nothing written
        ObjectNode forwarded = outcomeForm("trace-form-1", trace.caseId(), patientCase.caseId(), "found");
        ((ObjectNode) forwarded.get("form")).put("@xmlns", "http://chis.org/xforms/trace-task");
        HttpResponse<String> echo = post("/commcare/forms", forwarded.toString());
        assertThat(echo.statusCode()).isEqualTo(200);
        assertThat(body(echo).path("echo").asBoolean()).isTrue();
    }

    @Test
    void theChwsOutcomeBecomesATracingEncounterWithItsObsOnceAndABadOutcomeIsRefused() throws Exception {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String overdue = patient("Achieng", "Odhiambo", "100-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(45), Map.of());
        feedToCommCare();
        poll();
        CommCareCase trace = traceCases().get(0);
        String patientCase = trace.property("patient_case_id");

        HttpResponse<String> bad = post("/commcare/forms", outcomeForm("f-bad", trace.caseId(), patientCase, "gone fishing").toString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("gone fishing").contains("no answer is in the valueMap");
        assertThat(tracingEncounters(overdue)).isEmpty();

        HttpResponse<String> ok = post("/commcare/forms", outcomeForm("f-1", trace.caseId(), patientCase, "moved").toString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        List<JsonNode> encounters = tracingEncounters(overdue);
        assertThat(encounters).hasSize(1);
        List<JsonNode> obs = openmrs.observations().stream().filter(o -> !o.path("voided").asBoolean())
                .filter(o -> o.path("concept").path("uuid").asText().equals(OpenMrsSimulator.CONCEPT_TRACE_OUTCOME)).toList();
        assertThat(obs).hasSize(1);
        assertThat(Json.write(obs.get(0).path("value"))).contains(OpenMrsSimulator.CONCEPT_TRACE_MOVED);

        HttpResponse<String> again = post("/commcare/forms", outcomeForm("f-1", trace.caseId(), patientCase, "moved").toString());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).contains("duplicate");
        assertThat(tracingEncounters(overdue)).hasSize(1);
        // the traced patient's missed visit stays one task: the next poll makes none
        assertThat(poll().path("tasksCreated").asInt()).isZero();
    }

    @Test
    void chtAFollowedPersonWhoMissedAVisitGetsOneTraceReportAndTheChwsOutcomeReportBecomesAnEncounterOnce() throws Exception {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String overdue = patient("Akinyi", "Otieno", "200-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(45), Map.of());
        String notDue = patient("Baraka", "Mwangi", "200-2");
        openmrs.recordEncounter(notDue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(3), Map.of());
        // the OpenMRS -> CHT feed makes the CHT people (and links them to the patients), as deployed
        for (int i = 0; i < 10 && body(post("/cht/feeds/poll", "{}")).path("more").asBoolean(); i++) { }
        assertThat(cht.people()).hasSize(2);

        JsonNode first = poll();
        assertThat(first.path("tasksCreated").asInt()).as(Json.write(first)).isEqualTo(1);
        List<ObjectNode> reports = traceReports();
        assertThat(reports).hasSize(1);
        String person = reports.get(0).path("fields").path("patient_uuid").asText();
        assertThat(cht.doc(person).orElseThrow().path("openmrs_patient_uuid").asText()).isEqualTo(overdue);
        assertThat(reports.get(0).path("fields").path("trace_rule").asText()).isEqualTo("missed-clinic-visit");
        assertThat(poll().path("tasksCreated").asInt()).isZero();
        assertThat(traceReports()).hasSize(1);

        // the CHW's trace_outcome report, pushed by CHT's outbound with the shipped config
        ObjectNode outcome = Json.object().put("_id", "to-1").put("_rev", "1-a").put("type", "data_record").put("form", "trace_outcome")
                .put("reported_date", now.toInstant().toEpochMilli());
        outcome.putObject("fields").put("patient_uuid", person).put("trace_outcome", "died").put("trace_note", "died at home in March");
        outcome.putObject("contact").put("_id", "chw-akinyi").putObject("parent").put("_id", ChtSimulator.CHW_AREA).putObject("parent")
                .put("_id", ChtSimulator.HEALTH_FACILITY);
        OutboundPush.Attempt pushed = cht.push("openmrs-trace-outcome", outboundTraceOutcome(), outcome);
        assertThat(pushed.status()).as(pushed.answer()).isEqualTo(201);
        assertThat(tracingEncounters(overdue)).hasSize(1);
        assertThat(Json.write(openmrs.observations())).contains(OpenMrsSimulator.CONCEPT_TRACE_DIED);
        OutboundPush.Attempt retry = cht.push("openmrs-trace-outcome", outboundTraceOutcome(), outcome);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(tracingEncounters(overdue)).hasSize(1);
    }

    @Test
    void openmrsOrCommcareFailingLeavesTheTaskToTheNextPollWhichWritesItOnce() throws Exception {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String overdue = patient("Achieng", "Odhiambo", "100-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(45), Map.of());
        feedToCommCare();

        openmrs.failNext("GET", ".*/ws/rest/v1/encounter", 500, "{\"error\":{\"message\":\"[Could not open JDBC Connection]\"}}");
        JsonNode down = poll();
        assertThat(down.path("failed").asInt()).isEqualTo(1);
        assertThat(Json.write(down.path("errors"))).contains(overdue);
        assertThat(traceCases()).isEmpty();

        commcare.failNext("POST", ".*/receiver/", 500, "<OpenRosaResponse><message nature='submit_error'>server error</message></OpenRosaResponse>");
        assertThat(poll().path("failed").asInt()).isEqualTo(1);
        assertThat(traceCases()).isEmpty();

        assertThat(poll().path("tasksCreated").asInt()).isEqualTo(1);
        assertThat(poll().path("tasksCreated").asInt()).isZero();
        assertThat(traceCases()).hasSize(1);
    }

    @Test
    void aBadRuleFileNamesEveryMistake() {
        JsonNode bad = Json.parse("{\"rules\":[{\"name\":\"Missed Visit\",\"after\":[],\"days\":0},{\"name\":\"ok\",\"after\":[\"x\"],\"days\":30}]}");
        assertThatThrownBy(() -> TracingRules.parse(bad, "tracing.json")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tracing.json: $.rules[0].name: 'Missed Visit' is not a rule name: lower case letters")
                .hasMessageContaining("tracing.json: $.rules[0].after: required, a list of encounter type uuids")
                .hasMessageContaining("tracing.json: $.rules[0].days: must be a whole number of days >= 1");
        assertThat(TracingRules.load(CONFIG.resolve("tracing.json")).rules()).isNotEmpty();
    }

    // ------------------------------------------------------------------ helpers

    /** A key as the shipped mediator.properties sets it. */
    static String shipped(String key) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(CONFIG.resolve("mediator.properties"))) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty(key);
    }

    String patient(String given, String family, String id) {
        return openmrs.registerPatient(given, family, "F", LocalDate.of(1990, 1, 1), id);
    }

    /** OpenMRS patients -> CommCare patient cases (and the case->patient id map) through the feed, as deployed. */
    void feedToCommCare() throws Exception {
        for (int i = 0; i < 10; i++) {
            JsonNode b = body(post("/openmrs/feeds/poll", "{}"));
            if (!b.path("more").asBoolean()) return;
        }
    }

    JsonNode poll() throws Exception {
        HttpResponse<String> r = post(Tracing.POLL_PATH, "{}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return body(r);
    }

    List<CommCareCase> traceCases() { return commcare.cases().stream().filter(c -> "trace".equals(c.caseType())).toList(); }

    List<JsonNode> tracingEncounters(String patient) {
        return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean())
                .filter(e -> e.path("encounterType").path("uuid").asText().equals(OpenMrsSimulator.ENCOUNTER_TYPE_TRACING))
                .filter(e -> e.path("patient").path("uuid").asText().equals(patient)).toList();
    }

    List<ObjectNode> traceReports() { return cht.reports().stream().filter(r -> "TRACE".equals(r.path("form").asText())).toList(); }

    /** The shipped outbound config for trace outcomes, its destination pointed at this mediator (deployed: core's channel). */
    ObjectNode outboundTraceOutcome() throws Exception {
        JsonNode all = Json.parse(Files.readString(CONFIG.resolve("cht/outbound-trace-outcome.json")));
        ObjectNode config = (ObjectNode) all.get("openmrs-trace-outcome").deepCopy();
        ((ObjectNode) config.get("destination")).put("base_url", "http://127.0.0.1:" + app.port());
        return config;
    }

    /** The CHW's trace follow-up form as HQ forwards it: closes the trace case, names the patient's case. */
    static ObjectNode outcomeForm(String id, String traceCase, String patientCase, String outcome) {
        ObjectNode f = Json.object().put("id", id).put("domain", CommCareSimulator.DOMAIN).put("received_on", "2026-01-10T08:01:00.000000Z");
        f.putObject("metadata").put("instanceID", id).put("timeStart", "2026-01-10T07:50:00.000000").put("timeEnd", "2026-01-10T08:00:00.000000")
                .put("userID", CommCareSimulator.MOBILE_WORKER_ID).put("username", CommCareSimulator.MOBILE_WORKER);
        ObjectNode form = f.putObject("form").put("@xmlns", OUTCOME_XMLNS).put("@name", "Trace outcome")
                .put("trace_outcome", outcome).put("trace_note", "neighbour says she moved to Kisumu").put("patient_case_id", patientCase);
        ObjectNode c = form.putObject("case").put("@case_id", traceCase).put("@xmlns", "http://commcarehq.org/case/transaction/v2");
        c.putObject("update").put("trace_outcome", outcome);
        c.putObject("close");
        form.putObject("meta").put("timeEnd", "2026-01-10T08:00:00.000Z").put("instanceID", id).put("userID", CommCareSimulator.MOBILE_WORKER_ID);
        return f;
    }

    static JsonNode body(HttpResponse<String> r) {
        return Json.parse(Json.parse(r.body()).path("response").path("body").asText("{}"));
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    void sql(String statement) throws Exception {
        try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs"); Connection c = store.dataSource().getConnection();
             Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }
}
