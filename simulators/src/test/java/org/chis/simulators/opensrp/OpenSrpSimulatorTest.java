package org.chis.simulators.opensrp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.chis.common.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OpenSrpSimulatorTest {
    final OpenSrpSimulator sim = new OpenSrpSimulator(0);
    final HttpClient http = HttpClient.newHttpClient();
    final String auth = "Basic " + Base64.getEncoder().encodeToString((OpenSrpSimulator.USER + ":" + OpenSrpSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8));

    @AfterEach
    void stop() { sim.close(); }

    @Test
    void anEventSentAgainWithTheSameIdOrFormSubmissionIdReplacesTheFirst() throws Exception {
        assertThat(add("{\"events\":[{\"id\":\"e1\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(add("{\"events\":[{\"id\":\"e1\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC 2\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(add("{\"events\":[{\"id\":\"other\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC 3\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(sim.eventsWithFormSubmissionId("f1")).hasSize(1);
        assertThat(sim.events()).hasSize(1);
        assertThat(sim.writes()).isEqualTo(3);
        HttpResponse<String> found = find("e1");
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(Json.parse(found.body()).path("eventType").asText()).isEqualTo("ANC 3");
        HttpResponse<String> none = find("nope");
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(none.body()).isEmpty();
    }

    @Test
    void aBodyWithoutClientsOrEventsIs400AndNoCredentials401() throws Exception {
        assertThat(add("{}", auth).statusCode()).isEqualTo(400);
        assertThat(add("{\"events\":[]}", null).statusCode()).isEqualTo(401);
        assertThat(sim.events()).isEmpty();
    }

    @Test
    void tasksAreStoredWithAServerVersionSyncedSinceOneAndTheirStatusUpdatedLikeTheTaskResource() throws Exception {
        // the CHW app's referral task (CoreReferralUtils.createReferralTask): Ready / Referred
        String task = """
                [{"identifier": "t-1", "planIdentifier": "5270285b-5a3b-4647-b772-c0b3c52e2b71", "groupIdentifier": "loc-hf",
                  "status": "Ready", "businessStatus": "Referred", "priority": 3, "code": "Referral", "focus": "Sick Child",
                  "for": "be-1", "owner": "chw-hawa", "reasonReference": "f-1"}]""";
        assertThat(post("/rest/task/add", task).statusCode()).isEqualTo(201);
        long v1 = sim.task("t-1").orElseThrow().path("serverVersion").asLong();

        HttpResponse<String> updated = post("/rest/task/update_status",
                "[{\"identifier\": \"t-1\", \"status\": \"Completed\", \"businessStatus\": \"Complete\", \"serverVersion\": " + v1 + "}]");
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(Json.parse(updated.body()).path("task_ids").get(0).asText()).isEqualTo("t-1");
        assertThat(sim.task("t-1").orElseThrow().path("status").asText()).isEqualTo("Completed");
        assertThat(sim.task("t-1").orElseThrow().path("businessStatus").asText()).isEqualTo("Complete");

        // nothing updated (unknown task, or a status the domain enum does not have) -> 400; not an array -> 400
        assertThat(post("/rest/task/update_status", "[{\"identifier\": \"nope\", \"status\": \"Completed\"}]").statusCode()).isEqualTo(400);
        assertThat(post("/rest/task/update_status", "[{\"identifier\": \"t-1\", \"status\": \"completed\"}]").statusCode()).isEqualTo(400);
        assertThat(post("/rest/task/update_status", "{}").statusCode()).isEqualTo(400);
        assertThat(sim.taskStatusUpdates()).isEqualTo(1);

        // sync: what was written at or after serverVersion, by plan + group or by owner
        HttpResponse<String> since = post("/rest/task/sync", "{\"plan\": [\"5270285b-5a3b-4647-b772-c0b3c52e2b71\"], \"group\": [\"loc-hf\"], \"serverVersion\": " + (v1 + 1) + "}");
        assertThat(since.statusCode()).isEqualTo(200);
        assertThat(Json.parse(since.body()).get(0).path("status").asText()).isEqualTo("Completed");
        assertThat(Json.parse(post("/rest/task/sync", "{\"owner\": \"chw-hawa\", \"serverVersion\": 0}").body())).hasSize(1);
        assertThat(Json.parse(post("/rest/task/sync", "{\"owner\": \"someone-else\", \"serverVersion\": 0}").body())).isEmpty();
        assertThat(post("/rest/task/sync", "{\"serverVersion\": 0}").statusCode()).isEqualTo(400);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/rest/task/t-1")).header("Authorization", auth).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("\"Completed\"");
    }

    @Test
    void eventSyncPagesByServerVersionWithTheEventsClientsAndNeedsAFilterLikeEventResource() throws Exception {
        assertThat(add("""
                {"clients": [{"baseEntityId": "be-1", "firstName": "Amina"}],
                 "events": [{"formSubmissionId": "f1", "eventType": "ANC", "baseEntityId": "be-1", "locationId": "loc-a", "providerId": "chw1"},
                            {"formSubmissionId": "f2", "eventType": "ANC", "baseEntityId": "be-2", "locationId": "loc-b", "providerId": "chw2"},
                            {"formSubmissionId": "f3", "eventType": "PNC", "baseEntityId": "be-1", "locationId": "loc-a", "providerId": "chw1"}]}
                """, auth).statusCode()).isEqualTo(201);

        // serverVersion is what the caller already has: the answer starts after it; limit pages
        var first = Json.parse(get("/rest/event/sync?locationId=loc-a,loc-b&serverVersion=0&limit=2").body());
        assertThat(first.path("no_of_events").asInt()).isEqualTo(2);
        assertThat(first.path("events").get(0).path("formSubmissionId").asText()).isEqualTo("f1");
        assertThat(first.path("clients")).hasSize(1); // be-2 has no stored client
        long last = first.path("events").get(1).path("serverVersion").asLong();
        var next = Json.parse(get("/rest/event/sync?locationId=loc-a,loc-b&serverVersion=" + last + "&limit=2").body());
        assertThat(next.path("events")).hasSize(1);
        assertThat(next.path("events").get(0).path("formSubmissionId").asText()).isEqualTo("f3");
        var after = Json.parse(get("/rest/event/sync?locationId=loc-a,loc-b&serverVersion=" + next.path("events").get(0).path("serverVersion").asLong()).body());
        assertThat(after.path("no_of_events").asInt()).isZero();

        // filters narrow; a resend of f1 moves it to a new serverVersion (it comes again, last)
        assertThat(Json.parse(get("/rest/event/sync?providerId=chw2").body()).path("events")).hasSize(1);
        add("{\"events\": [{\"formSubmissionId\": \"f1\", \"eventType\": \"ANC\", \"baseEntityId\": \"be-1\", \"locationId\": \"loc-a\"}]}", auth);
        var resent = Json.parse(get("/rest/event/sync?locationId=loc-a&serverVersion=" + last).body());
        assertThat(resent.path("events")).extracting(e -> e.path("formSubmissionId").asText()).containsExactly("f3", "f1");

        HttpResponse<String> noFilter = get("/rest/event/sync?serverVersion=0");
        assertThat(noFilter.statusCode()).isEqualTo(400);
        assertThat(noFilter.body()).isEqualTo("{\"msg\":\"specify atleast one filter\"}");
    }

    @Test
    void practitionersAreSavedPerIdentifierAndListedLikePractitionerResource() throws Exception {
        assertThat(post("/rest/practitioner", "{\"identifier\": \"p-1\", \"active\": true, \"name\": \"Hawa Musa\", \"userId\": \"u-1\", \"username\": \"chw.hawa\"}").statusCode()).isEqualTo(201);
        assertThat(post("/rest/practitioner", "{\"identifier\": \"p-1\", \"active\": true, \"name\": \"Hawa A. Musa\", \"username\": \"chw.hawa\"}").statusCode()).isEqualTo(201);
        HttpResponse<String> missing = post("/rest/practitioner", "{\"name\": \"No Id\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).isEqualTo("Identifier not specified");
        HttpResponse<String> added = post("/rest/practitioner/add", "[{\"identifier\": \"p-2\", \"active\": false, \"name\": \"Juma\", \"username\": \"chw.juma\"}]");
        assertThat(added.statusCode()).isEqualTo(201);
        assertThat(added.body()).isEqualTo("All Practitioners  processed");

        var all = Json.parse(get("/rest/practitioner").body());
        assertThat(all).hasSize(2);
        assertThat(all.get(0).path("name").asText()).isEqualTo("Hawa A. Musa");
        assertThat(Json.parse(get("/rest/practitioner/p-2").body()).path("active").asBoolean()).isFalse();
        assertThat(get("/rest/practitioner/nope").body()).isEqualTo("null");
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Authorization", auth).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> add(String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/rest/event/add"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) b.header("Authorization", authorization);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> find(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/rest/event/findById?id=" + id)).header("Authorization", auth).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
