package org.chis.simulators.commcare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import okhttp3.Credentials;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CasePage;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.CommCareException;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.commcare.SubmissionResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CommCareClient (common) against the CommCare simulator: the wire shapes both sides agree on. */
class CommCareSimulatorTest {
    static CommCareSimulator hq;
    static OkHttpClient ok = new OkHttpClient();
    CommCareClient client;
    TransactionContext tx;

    @BeforeAll
    static void start() { hq = new CommCareSimulator(0); }

    @AfterAll
    static void stop() { hq.close(); }

    @BeforeEach
    void fresh() {
        hq.reset();
        client = new CommCareClient(new RecordingHttpClient(ok), hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY);
        tx = new TransactionContext("t1");
    }

    private static FormSubmission form(String instanceId, CaseBlock... blocks) {
        FormSubmission f = new FormSubmission("http://chis.org/test", instanceId).user(CommCareSimulator.MOBILE_WORKER_ID, "chw1");
        for (CaseBlock b : blocks) f.addCase(b);
        return f;
    }

    @Test
    void submissionCreatesUpdatesAndClosesCases() {
        SubmissionResult r = client.submit(tx, form("i-1", CaseBlock.of("c-1").create("patient", "Zoë Nyaradzo Ødegård", CommCareSimulator.MOBILE_WORKER_ID)
                .externalId("p-uuid-1").set("village", "Ngong").set("openmrs_uuid", "p-uuid-1")));
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.nature()).isEqualTo("submit_success");

        CommCareCase c = client.caseById(tx, "c-1").orElseThrow();
        assertThat(c.caseName()).isEqualTo("Zoë Nyaradzo Ødegård");
        assertThat(c.externalId()).isEqualTo("p-uuid-1");
        assertThat(c.property("village")).isEqualTo("Ngong");
        assertThat(c.ownerId()).isEqualTo(CommCareSimulator.MOBILE_WORKER_ID);
        assertThat(client.caseByExternalId(tx, "p-uuid-1")).map(CommCareCase::caseId).contains("c-1");

        client.submit(tx, form("i-2", CaseBlock.of("c-1").set("village", "Kibera").index("parent", "household", "h-9", "child")));
        client.submit(tx, form("i-3", CaseBlock.of("c-1").close()));
        c = hq.caseById("c-1").orElseThrow();
        assertThat(c.property("village")).isEqualTo("Kibera");
        assertThat(c.indices()).containsKey("parent");
        assertThat(c.closed()).isTrue();
        assertThat(hq.submittedForms()).extracting(SubmittedForm::instanceId).containsExactly("i-1", "i-2", "i-3");
    }

    @Test
    void duplicateInstanceIdIsAcceptedAndIgnored() {
        client.submit(tx, form("i-1", CaseBlock.of("c-1").create("patient", "A", "o").set("x", "1")));
        client.submit(tx, form("i-1", CaseBlock.of("c-1").set("x", "2")));
        assertThat(hq.caseById("c-1").orElseThrow().property("x")).isEqualTo("1");
        assertThat(hq.submittedForms()).hasSize(1);
    }

    @Test
    void updateOfUnknownCaseIsRejectedWith422AndNothingWritten() {
        assertThatThrownBy(() -> client.submit(tx, form("i-1", CaseBlock.of("new").create("patient", "A", "o"), CaseBlock.of("nope").set("x", "1"))))
                .isInstanceOf(CommCareException.class).hasMessageContaining("422").hasMessageContaining("processing_failure")
                .satisfies(e -> assertThat(((CommCareException) e).rejected()).isTrue());
        assertThat(hq.cases()).isEmpty();
        assertThat(hq.submittedForms()).isEmpty();
    }

    @Test
    void malformedXmlIs500SubmitError() throws Exception {
        try (Response r = ok.newCall(new Request.Builder().url(hq.baseUrl() + "/a/demo-project/receiver/")
                .header("Authorization", "ApiKey " + CommCareSimulator.USER + ":" + CommCareSimulator.API_KEY)
                .post(RequestBody.create("<data><oops>", MediaType.get("text/xml"))).build()).execute()) {
            assertThat(r.code()).isEqualTo(500);
            assertThat(r.body().string()).contains("nature=\"submit_error\"").contains("OpenRosaResponse");
        }
    }

    @Test
    void multipartSubmissionAndBasicAuthWork() throws Exception {
        String xml = form("i-m", CaseBlock.of("c-m").create("patient", "M", "o")).toXml();
        RequestBody body = new MultipartBody.Builder().setType(MultipartBody.FORM)
                .addFormDataPart("xml_submission_file", "form.xml", RequestBody.create(xml, MediaType.get("text/xml"))).build();
        try (Response r = ok.newCall(new Request.Builder().url(hq.baseUrl() + "/a/demo-project/receiver/app123/")
                .header("Authorization", Credentials.basic(CommCareSimulator.USER, CommCareSimulator.PASSWORD)).post(body).build()).execute()) {
            assertThat(r.code()).isEqualTo(201);
        }
        assertThat(hq.submittedForms().get(0).appId()).isEqualTo("app123");
        assertThat(hq.caseById("c-m")).isPresent();
    }

    @Test
    void wrongKeyIs401() {
        CommCareClient bad = new CommCareClient(new RecordingHttpClient(ok), hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, "wrong");
        assertThatThrownBy(() -> bad.caseById(tx, "x")).isInstanceOf(CommCareException.class).hasMessageContaining("401");
    }

    @Test
    void listFiltersAndFollowsCursors() {
        for (int i = 0; i < 45; i++) {
            hq.registerCase(i % 3 == 0 ? "household" : "patient", "case " + i, "ext-" + i, CommCareSimulator.props("n", String.valueOf(i % 2)));
        }
        CasePage first = client.listCases(tx, Map.of("case_type", "patient", "limit", "10"));
        assertThat(first.matchingRecords()).isEqualTo(30);
        assertThat(first.cases()).hasSize(10);
        assertThat(first.hasNext()).isTrue();
        List<CommCareCase> all = client.allCases(tx, Map.of("case_type", "patient", "limit", "7"), 100);
        assertThat(all).hasSize(30).extracting(CommCareCase::caseName).doesNotHaveDuplicates();
        assertThat(client.allCases(tx, Map.of("properties.n", "1"), 100)).hasSize(22);
        assertThat(client.allCases(tx, Map.of("external_id", "ext-4"), 10)).singleElement().extracting(CommCareCase::caseName).isEqualTo("case 4");
        assertThatThrownBy(() -> client.listCases(tx, Map.of("bogus", "1"))).hasMessageContaining("400").hasMessageContaining("'bogus' is not a valid parameter");
        assertThatThrownBy(() -> client.listCases(tx, Map.of("limit", "6000"))).hasMessageContaining("400");
    }

    @Test
    void caseApiCreateUpdateAndErrors() {
        CommCareCase created = client.createCase(tx, (ObjectNode) Json.parse(
                "{\"case_type\":\"patient\",\"case_name\":\"Amina\",\"owner_id\":\"o1\",\"external_id\":\"e1\",\"properties\":{\"age\":\"3\"}}"));
        assertThat(created.caseId()).isNotBlank();
        assertThat(created.property("age")).isEqualTo("3");
        CommCareCase updated = client.updateCase(tx, created.caseId(), (ObjectNode) Json.parse("{\"properties\":{\"age\":\"4\"}}"));
        assertThat(updated.property("age")).isEqualTo("4");
        assertThat(hq.submittedForms()).extracting(SubmittedForm::xmlns).containsOnly("http://commcarehq.org/case_api");

        assertThatThrownBy(() -> client.createCase(tx, (ObjectNode) Json.parse("{\"case_type\":\"patient\"}")))
                .hasMessageContaining("400").hasMessageContaining("case_name is required");
        assertThatThrownBy(() -> client.createCase(tx, (ObjectNode) Json.parse(
                "{\"case_type\":\"p\",\"case_name\":\"x\",\"owner_id\":\"o\",\"properties\":{\"a\":1}}"))).hasMessageContaining("Values must be strings");
        assertThat(client.caseById(tx, "missing")).isEmpty();
        assertThat(client.caseByExternalId(tx, "missing")).isEmpty();
    }

    @Test
    void faultsAndV05() throws Exception {
        hq.registerCase("patient", "A", "e", Map.of());
        hq.failNext("GET", "/a/demo-project/api/case/v2/.*", 502, null);
        assertThatThrownBy(() -> client.caseByExternalId(tx, "e")).isInstanceOf(CommCareException.class).hasMessageContaining("502")
                .satisfies(e -> assertThat(((CommCareException) e).rejected()).isFalse());
        assertThat(client.caseByExternalId(tx, "e")).isPresent();

        hq.failNext("POST", "/a/demo-project/receiver/", 500, null);
        assertThatThrownBy(() -> client.submit(tx, form("i-9", CaseBlock.of("c9").create("p", "n", "o")))).hasMessageContaining("500");
        client.submit(tx, form("i-9", CaseBlock.of("c9").create("p", "n", "o")));
        assertThat(hq.caseById("c9")).isPresent();

        try (Response r = ok.newCall(new Request.Builder().url(hq.baseUrl() + "/a/demo-project/api/v0.5/case/?limit=1")
                .header("Authorization", "ApiKey " + CommCareSimulator.USER + ":" + CommCareSimulator.API_KEY).build()).execute()) {
            var j = Json.parse(r.body().string());
            assertThat(j.path("meta").path("total_count").asInt()).isEqualTo(2);
            assertThat(j.path("meta").path("next").asText()).contains("offset=1");
            assertThat(j.path("objects").get(0).path("properties").path("case_name").asText()).isEqualTo("A");
        }
        // the recorded orchestrations carry the calls with the key masked
        assertThat(tx.orchestrations()).isNotEmpty();
    }

    @Test
    void v05UserIdIsTheLastModifierNotTheOwnerAndResourceUriIsAPath() throws Exception {
        client.submit(tx, form("i-20", CaseBlock.of("c-20").create("patient", "Amina", "owner-group-1")));
        try (Response r = ok.newCall(new Request.Builder().url(hq.baseUrl() + "/a/demo-project/api/v0.5/case/c-20/")
                .header("Authorization", "ApiKey " + CommCareSimulator.USER + ":" + CommCareSimulator.API_KEY).build()).execute()) {
            var j = Json.parse(r.body().string());
            assertThat(j.path("properties").path("owner_id").asText()).isEqualTo("owner-group-1");
            assertThat(j.path("user_id").asText()).isEqualTo(CommCareSimulator.MOBILE_WORKER_ID);
            assertThat(j.path("resource_uri").asText()).isEqualTo("/a/demo-project/api/v0.5/case/c-20/");
        }
    }
}
