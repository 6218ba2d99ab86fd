package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.chis.common.testing.PostgresServer;
import org.chis.common.testing.StoreEngine;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the dhis2 mediator on one PostgreSQL database ({@code db.replicas=many}), as behind a load balancer:
 * two forms of one case (an older visit and a newer one, different first names) released at the same instant, one
 * to each replica. The tracked entity must end with the newer form's attributes: "is this form older than the one
 * DHIS2 has?" and the send are one step per person. Without serialisation across replicas the older form's full
 * bundle could reach DHIS2 after the newer one and put the older name back.
 */
class ReplicasPostgresTest {
    private static final int ROUNDS = 12;

    @Test
    void twoReplicasGivenTwoFormsOfOneCaseAtTheSameInstantLeaveTheNewerFormsAttributes() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String schema = StoreEngine.schemaFor(Files.createTempDirectory("dhis2-replicas-pg"));
        Dhis2Simulator dhis2 = new Dhis2Simulator(0);
        dhis2.latency(20); // widens the window between "older?" and the import, as a real DHIS2 does
        CommCareSimulator commcare = new CommCareSimulator(0);
        Map<String, String> db = Map.of("db.user", pg.user(), "db.password", pg.password(), "db.schema", schema, "db.replicas", "many");
        MediatorFixture a = new MediatorFixture(dhis2, commcare, db, pg.jdbcUrl());
        MediatorFixture b = new MediatorFixture(dhis2, commcare, db, pg.jdbcUrl());
        ExecutorService senders = Executors.newFixedThreadPool(2);
        List<String> problems = new ArrayList<>();
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                String caseId = "case-replicas-" + UUID.randomUUID();
                String older = TrackerFindTest.form("older-" + UUID.randomUUID(), caseId, "", "2024-03-02", "9.5").replace("Fatmata", "Older");
                String newer = TrackerFindTest.form("newer-" + UUID.randomUUID(), caseId, "", "2024-04-02", "9.9").replace("Fatmata", "Newer");
                CyclicBarrier together = new CyclicBarrier(2);
                // alternate which replica gets the older form
                MediatorFixture first = round % 2 == 0 ? a : b, second = round % 2 == 0 ? b : a;
                CompletableFuture<MediatorFixture.Reply> ro = CompletableFuture.supplyAsync(() -> send(first, older, together), senders);
                CompletableFuture<MediatorFixture.Reply> rn = CompletableFuture.supplyAsync(() -> send(second, newer, together), senders);
                MediatorFixture.Reply o = ro.get(), n = rn.get();
                String te = n.property("dhis2.trackedEntity");
                String name = dhis2.trackedEntities().stream().filter(t -> t.path("trackedEntity").asText().equals(te))
                        .map(t -> t.path("attributes").toString()).findFirst().orElse("(none)");
                if (!o.status().equals("Successful") || !n.status().equals("Successful") || !name.contains("Newer")) {
                    problems.add("round " + round + ": " + o.status() + "/" + n.status() + ", attributes " + name);
                }
            }
        } finally {
            senders.shutdown();
            a.app.close();
            b.app.close();
            dhis2.close();
            commcare.close();
            pg.dropSchema(schema);
        }
        assertThat(problems).as("every round: both forms Successful, the tracked entity has the newer form's name").isEmpty();
    }

    private static MediatorFixture.Reply send(MediatorFixture replica, String form, CyclicBarrier together) {
        try {
            together.await();
            return replica.call("POST", "/dhis2/tracker", form);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
