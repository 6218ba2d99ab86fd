package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.PostgresServer;
import org.chis.common.testing.StoreEngine;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of commcare-openmrs on one PostgreSQL database ({@code db.replicas=many}), as behind a load balancer:
 * two different new forms of the same new person (one case, one national id), one to each replica, released at the
 * same instant. Without serialisation across the replicas both find no patient and both create one (the second is
 * refused by OpenMRS, "Identifier already in use", and its form is lost). With the advisory lock per person: exactly
 * one patient, both forms accepted, both encounters on that patient.
 */
class ReplicasPostgresTest {
    private static final int ROUNDS = 15;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void twoReplicasGivenTwoNewFormsOfOneNewPersonAtTheSameInstantCreateOnePatient() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String schema = StoreEngine.schemaFor(Files.createTempDirectory("replicas-pg"));
        // latency widens the window between "no patient found" and "create patient", as a real OpenMRS does
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0).latency(15);
        CommCareSimulator commcare = new CommCareSimulator(0);
        Map<String, String> db = Map.of("db.user", pg.user(), "db.password", pg.password(), "db.schema", schema, "db.replicas", "many");
        MediatorApp a = Main.start(MediatorApp.create("commcare-openmrs", FormsFixture.settings(openmrs, commcare, db, pg.jdbcUrl())));
        MediatorApp b = Main.start(MediatorApp.create("commcare-openmrs", FormsFixture.settings(openmrs, commcare, db, pg.jdbcUrl())));
        ExecutorService senders = Executors.newFixedThreadPool(2);
        List<String> problems = new ArrayList<>();
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                String caseId = UUID.randomUUID().toString();
                String nid = "NID-R" + round + "-" + caseId.substring(0, 8);
                ObjectNode first = FormsFixture.registration(UUID.randomUUID().toString(), caseId, nid);
                ObjectNode second = FormsFixture.registration(UUID.randomUUID().toString(), caseId, nid);
                // a different form (another weight): not the same encounter again, which the workflow answers "nothing written"
                ((ObjectNode) second.path("form").path("vitals")).put("weight", "62.0");
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<HttpResponse<String>> ra = CompletableFuture.supplyAsync(() -> send(a, first, together), senders);
                CompletableFuture<HttpResponse<String>> rb = CompletableFuture.supplyAsync(() -> send(b, second, together), senders);
                int sa = ra.get().statusCode(), sb = rb.get().statusCode();

                List<String> patients = openmrs.patients().stream().filter(p -> !p.path("voided").asBoolean(false))
                        .filter(p -> p.path("identifiers").toString().contains(nid)).map(p -> p.path("uuid").asText()).toList();
                long encounters = openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean(false))
                        .filter(e -> patients.contains(e.path("patient").path("uuid").asText())).count();
                if (sa != 201 || sb != 201 || patients.size() != 1 || encounters != 2) {
                    problems.add("round " + round + ": answers " + sa + "/" + sb + ", patients " + patients.size() + ", encounters " + encounters
                            + (sa != 201 ? " A: " + message(ra.get()) : "") + (sb != 201 ? " B: " + message(rb.get()) : ""));
                }
            }
        } finally {
            senders.shutdown();
            a.close();
            b.close();
            openmrs.close();
            commcare.close();
            pg.dropSchema(schema);
        }
        assertThat(problems).as("every round: both forms 201, one patient, two encounters on it").isEmpty();
    }

    private HttpResponse<String> send(MediatorApp app, JsonNode form, CyclicBarrier together) {
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + Forms.COMMCARE_PATH))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(form), StandardCharsets.UTF_8)).build();
            together.await();
            return http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String message(HttpResponse<String> r) {
        String body = Json.parse(r.body()).path("response").path("body").asText(r.body());
        return body.length() > 240 ? body.substring(0, 240) : body;
    }
}
