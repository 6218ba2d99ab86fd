package org.chis.bench.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.chis.bench.ChildJvm;
import org.chis.bench.Nginx;
import org.chis.common.json.Json;
import org.chis.common.store.StateStore;
import org.chis.common.testing.PostgresServer;
import org.chis.common.testing.StoreEngine;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.Test;

/**
 * Three commcare-openmrs replicas (child JVMs) on one PostgreSQL database ({@code db.replicas=many}) behind nginx
 * (Debian's, started by hand on a generated config), a load of new-person registration forms through nginx (some
 * people with two different forms sent at the same instant, some forms forwarded twice at once), and one replica
 * killed with -9 mid-load. The client resends what failed (502 from nginx for the requests the dead replica held,
 * 503 busy while the dead run's claim holds its lease) as OpenHIM core's auto-retry or the console's rerun would.
 * Then: zero lost (every form answered 2xx, its encounter in OpenMRS on its person's patient) and zero duplicated
 * (one patient per person, one encounter per form, a resend of each form is a duplicate, no saga left running).
 */
class ReplicasKillNineFaultTest {
    private static final int PEOPLE = 36;
    private static final int SENDERS = 8;

    /** One send of the load: forms released together (two forms of one person, or one form forwarded twice). */
    private record Group(String person, String nid, List<String> forms) {}

    @Test
    void threeReplicasBehindNginxOneKilledMidLoadLoseAndDuplicateNothing() throws Exception {
        Nginx.binary(); // fails here, saying how to install nginx, when it is missing
        PostgresServer pg = PostgresServer.shared();
        Path dir = Files.createTempDirectory("fault-replicas");
        String schema = StoreEngine.schemaFor(dir);
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0).latency(5);
        CommCareSimulator hq = new CommCareSimulator(0);
        List<String> args = replicaArgs(dir, openmrs, hq, pg, schema);
        JsonNode template = Json.parse(Files.readString(
                Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"), StandardCharsets.UTF_8));

        List<Group> groups = new ArrayList<>();
        Map<String, String> formPerson = new LinkedHashMap<>(); // form id -> person
        for (int i = 1; i <= PEOPLE; i++) {
            String a = SagaStepFaultTest.newPersonForm(template, "REP", "Replica", i);
            JsonNode fa = Json.parse(a);
            String person = fa.path("form").path("case").path("@case_id").asText();
            String nid = fa.path("form").path("national_id").asText();
            formPerson.put(fa.path("id").asText(), person);
            if (i % 3 == 0) {
                String b = secondForm(fa, template);
                formPerson.put(Json.parse(b).path("id").asText(), person);
                groups.add(new Group(person, nid, List.of(a, b))); // two different new forms of one new person at once
            } else if (i % 5 == 1) {
                groups.add(new Group(person, nid, List.of(a, a))); // one form forwarded twice at once
            } else {
                groups.add(new Group(person, nid, List.of(a)));
            }
        }

        List<ChildJvm> replicas = new ArrayList<>();
        Nginx nginx = null;
        ExecutorService pool = Executors.newFixedThreadPool(SENDERS * 2);
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Map<String, JsonNode> answers = new ConcurrentHashMap<>();
        AtomicInteger resends = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        long killedAtMs = -1;
        int answeredBeforeKill = -1;
        long started = System.nanoTime();
        try {
            for (int r = 1; r <= 3; r++) replicas.add(ChildJvm.launch("192m", CommcareOpenmrsChild.class, dir.resolve("replica-" + r + ".log"), args));
            List<Integer> ports = new ArrayList<>();
            for (ChildJvm r : replicas) ports.add(r.awaitReady(Duration.ofSeconds(90)));
            nginx = Nginx.start(dir.resolve("nginx"), ports);
            String url = nginx.url() + "/commcare/forms";

            List<CompletableFuture<Void>> all = new ArrayList<>();
            ExecutorService groupsPool = Executors.newFixedThreadPool(SENDERS);
            for (Group g : groups) {
                all.add(CompletableFuture.runAsync(() -> {
                    CyclicBarrier together = new CyclicBarrier(g.forms().size());
                    List<CompletableFuture<Void>> sends = new ArrayList<>();
                    for (String form : g.forms()) {
                        sends.add(CompletableFuture.runAsync(() -> {
                            awaitQuietly(together);
                            sendUntilAnswered(url, form, answers, resends, problems);
                        }, pool));
                    }
                    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
                    done.incrementAndGet();
                }, groupsPool));
            }
            // kill -9 one replica a third into the load, with SENDERS groups in flight through nginx
            while (done.get() < groups.size() / 3) Thread.sleep(5);
            answeredBeforeKill = done.get();
            replicas.get(1).kill9();
            killedAtMs = (System.nanoTime() - started) / 1_000_000;
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
            groupsPool.shutdown();

            // every form again: each must be a duplicate now (nothing done twice)
            for (String form : new LinkedHashMap<>(uniqueForms(groups)).values()) {
                Http.Reply again = KillNineFaultTest.postQuietly(url, form);
                if (again.status() != 200 || !KillNineFaultTest.parseQuietly(again.message()).path("duplicate").asBoolean(false)) {
                    problems.add("resend of form " + Json.parse(form).path("id").asText() + " answered " + again.status() + " " + abbreviate(again.message()));
                }
            }
        } finally {
            pool.shutdown();
            if (nginx != null) nginx.close();
            for (ChildJvm r : replicas) r.close();
        }

        // OpenMRS: one live patient per person, one live encounter per form, on its person's patient
        Map<String, List<String>> patientsByNid = new LinkedHashMap<>();
        for (JsonNode p : openmrs.patients()) {
            if (p.path("voided").asBoolean(false)) continue;
            for (JsonNode id : p.path("identifiers")) patientsByNid.computeIfAbsent(id.path("identifier").asText(), k -> new ArrayList<>()).add(p.path("uuid").asText());
        }
        Map<String, String> encounterPatient = new LinkedHashMap<>();
        for (JsonNode e : openmrs.encounters()) {
            if (!e.path("voided").asBoolean(false)) encounterPatient.put(e.path("uuid").asText(), e.path("patient").path("uuid").asText());
        }
        int lost = 0, duplicated = 0;
        for (Group g : groups) {
            List<String> patients = patientsByNid.getOrDefault(g.nid(), List.of());
            if (patients.size() != 1) {
                duplicated += Math.max(0, patients.size() - 1);
                problems.add("person " + g.nid() + ": " + patients.size() + " live patients");
            }
            for (String form : new LinkedHashMap<>(uniqueForms(List.of(g))).keySet()) {
                JsonNode answer = answers.get(form);
                String encounter = answer == null ? null : answer.path("encounter").asText(null);
                if (encounter == null || !encounterPatient.containsKey(encounter)) {
                    lost++;
                    problems.add("form " + form + " (" + g.nid() + "): encounter " + encounter + " not in OpenMRS");
                } else if (patients.size() == 1 && !patients.get(0).equals(encounterPatient.get(encounter))) {
                    problems.add("form " + form + ": encounter on patient " + encounterPatient.get(encounter) + ", not the person's " + patients.get(0));
                }
            }
        }
        int liveEncounters = encounterPatient.size();
        if (liveEncounters != formPerson.size()) {
            duplicated += Math.max(0, liveEncounters - formPerson.size());
            problems.add(liveEncounters + " live encounters in OpenMRS for " + formPerson.size() + " forms");
        }
        List<String> running;
        try (StateStore store = StateStore.open(pg.jdbcUrl(), pg.user(), pg.password(), schema, "commcare-openmrs")) {
            running = store.sagaJournal().unfinished();
        }
        if (!running.isEmpty()) problems.add("sagas still RUNNING: " + running);
        openmrs.close();
        hq.close();
        pg.dropSchema(schema);

        long secs = (System.nanoTime() - started) / 1_000_000_000;
        String detail = "3 commcare-openmrs replicas (child JVMs, db.replicas=many, forms.leaseSeconds=10) on one PostgreSQL behind nginx, "
                + PEOPLE + " new people, " + formPerson.size() + " forms (" + groups.stream().filter(g -> g.forms().size() == 2 && !g.forms().get(0).equals(g.forms().get(1))).count()
                + " people with two different forms sent at the same instant, " + groups.stream().filter(g -> g.forms().size() == 2 && g.forms().get(0).equals(g.forms().get(1))).count()
                + " forms forwarded twice at once), " + SENDERS + " groups in flight; replica 2 killed -9 at " + killedAtMs + " ms after "
                + answeredBeforeKill + " groups; the client resent failed forms " + resends.get() + " times (" + secs + " s): "
                + (problems.isEmpty() ? "lost 0, duplicated 0: one patient per person, one encounter per form on it, every resend a duplicate, no saga RUNNING"
                : "lost " + lost + ", duplicated " + duplicated + ", FAILED " + problems);
        FaultReport.record("kill -9 of 1 of 3 replicas behind nginx (commcare-openmrs, PostgreSQL)", 1, problems.isEmpty() ? 1 : 0, detail);
        FaultReport.print();
        assertThat(problems).isEmpty();
    }

    /** The children's settings: KillNineFaultTest's, on the shared PostgreSQL schema as replicas. */
    static List<String> replicaArgs(Path dir, OpenMrsSimulator openmrs, CommCareSimulator hq, PostgresServer pg, String schema) {
        List<String> args = new ArrayList<>(KillNineFaultTest.commcareOpenmrsArgs(dir, openmrs, hq));
        args.removeIf(a -> a.startsWith("db.url="));
        args.add("db.url=" + pg.jdbcUrl());
        args.add("db.user=" + pg.user());
        args.add("db.password=" + pg.password());
        args.add("db.schema=" + schema);
        args.add("db.replicas=many");
        // the dead replica's claims wait for their lease before a resend may take them (and undo its saga)
        args.add("forms.leaseSeconds=10");
        return args;
    }

    /** Another new form of the same person: same case and national id, its own form id, another weight. */
    private static String secondForm(JsonNode first, JsonNode template) {
        ObjectNode f = Json.parse(SagaStepFaultTest.newPersonForm(template, "X", "X", 0)).deepCopy();
        ObjectNode q = (ObjectNode) f.get("form");
        q.put("national_id", first.path("form").path("national_id").asText());
        q.put("last_name", first.path("form").path("last_name").asText());
        ((ObjectNode) q.get("case")).put("@case_id", first.path("form").path("case").path("@case_id").asText());
        ((ObjectNode) q.get("vitals")).put("weight", "63.5");
        return Json.write(f);
    }

    private static Map<String, String> uniqueForms(List<Group> groups) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Group g : groups) for (String f : g.forms()) out.put(Json.parse(f).path("id").asText(), f);
        return out;
    }

    /** Sends until 2xx, resending after a fault (502/503/504 or a broken connection) as core's retry would; a 4xx is a problem. */
    private static void sendUntilAnswered(String url, String form, Map<String, JsonNode> answers, AtomicInteger resends, List<String> problems) {
        String id = Json.parse(form).path("id").asText();
        long until = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        Http.Reply r = null;
        for (int attempt = 0; System.nanoTime() < until; attempt++) {
            if (attempt > 0) resends.incrementAndGet();
            r = KillNineFaultTest.postQuietly(url, form);
            if (r.status() == 200 || r.status() == 201) {
                JsonNode body = KillNineFaultTest.parseQuietly(r.message());
                // a twin forward answered "duplicate" carries the recorded outcome: same encounter
                answers.merge(id, body, (x, y) -> x.has("encounter") ? x : y);
                return;
            }
            if (r.status() != -1 && r.status() < 500) break;
            sleepQuietly(300);
        }
        problems.add("form " + id + ": last answer " + (r == null ? "-" : r.status() + " " + abbreviate(r.message())));
    }

    private static void awaitQuietly(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }
}
