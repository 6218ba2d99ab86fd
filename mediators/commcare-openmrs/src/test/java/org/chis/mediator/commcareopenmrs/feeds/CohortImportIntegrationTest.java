package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cohort import through a real OpenHIM core: the shipped channel lets an operator (role chis-ops) start it, the
 * run is a transaction with its OpenMRS and CommCare orchestrations, and a Failed run rerun from the console goes on
 * where it stopped; rerunning it once more writes nothing.
 */
class CohortImportIntegrationTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static final String COHORT = "2c3f6a57-8f3a-4f7e-9d5b-0e4b1c7d9a11";
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static CommCareSimulator hq;
    static MediatorApp app;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        admin.createClient("ops-alice", "ops-alice-pass", "chis-ops");
        admin.createClient("chis-app", "chis-app-pass", "chis");
        openmrs = new OpenMrsSimulator(0);
        hq = new CommCareSimulator(0);
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("cohort-import-it"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.import.pageSize", "2");
        // the patient feed would bring the same patients too (harmless, see FeedCohortTest); here only the import writes
        s.put("feeds.categories", "encounter");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, CONFIG)));
        assertThat(app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (openmrs != null) openmrs.close();
        if (hq != null) hq.close();
        if (core != null) core.close();
    }

    static HttpResponse<String> router(String client, String method, String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(core.routerUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((client + ":" + client + "-pass").getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static boolean orchestrated(JsonNode tx, String prefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(prefix)) return true;
        return false;
    }

    @Test
    void anOperatorStartsTheImportAFailedRunRerunFromTheConsoleGoesOnASecondRerunWritesNothing() throws Exception {
        openmrs.addCohort(COHORT, "ART clients");
        String[] members = new String[3];
        for (int i = 0; i < 3; i++) {
            members[i] = openmrs.registerPatient("Import" + i, "Mwangi", "F", LocalDate.of(1991, 2, 3), "IMP-" + i);
            openmrs.addCohortMember(COHORT, members[i], LocalDate.now().minusMonths(2), null);
        }
        String path = "/openmrs/feeds/import";
        String body = "{\"cohort\": \"" + COHORT + "\"}";
        assertThat(router("chis-app", "POST", path, body).statusCode()).as("the community apps' role may not start an import").isIn(401, 403);

        // OpenMRS fails the member on page 2: the run stops after page 1
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/" + members[2], 500, null);
        HttpResponse<String> first = router("ops-alice", "POST", path, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(502);
        JsonNode failed = admin.waitForTransaction(t -> t.path("request").path("path").asText().equals("/openmrs/feeds/import")
                && t.path("status").asText().equals("Failed"), Duration.ofSeconds(60));
        assertThat(orchestrated(failed, "OpenMRS: list cohort members")).isTrue();
        assertThat(orchestrated(failed, "CommCare: submit form")).isTrue();
        assertThat(failed.toString()).doesNotContain(CommCareSimulator.API_KEY).doesNotContain(OpenMrsSimulator.PASSWORD);
        assertThat(hq.cases()).hasSize(2);

        openmrs.wireMock().removeStub(down);
        JsonNode rerun = admin.rerunAndWait(failed.path("_id").asText(), Duration.ofSeconds(60));
        assertThat(rerun.path("status").asText()).isEqualTo("Successful");
        JsonNode answer = Json.parse(rerun.path("response").path("body").asText());
        assertThat(answer.path("from").asInt()).isEqualTo(2);
        assertThat(answer.path("done").asBoolean()).isTrue();
        for (String m : members) assertThat(hq.casesByExternalId(m)).hasSize(1);
        int forms = hq.submittedForms().size();

        JsonNode again = admin.rerunAndWait(failed.path("_id").asText(), Duration.ofSeconds(60));
        assertThat(again.path("status").asText()).isEqualTo("Completed");
        // where it stands, through the same channel
        HttpResponse<String> status = router("ops-alice", "GET", path + "?cohort=" + COHORT, null);
        assertThat(Json.parse(status.body()).path("done").asBoolean()).as(status.body()).isTrue();
        assertThat(hq.cases()).hasSize(3);
        assertThat(hq.submittedForms()).hasSize(forms);
    }
}
