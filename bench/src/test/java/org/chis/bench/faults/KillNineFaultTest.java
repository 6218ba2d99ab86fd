package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.chis.bench.ChildJvm;
import org.chis.common.json.Json;
import org.chis.common.store.Ledger;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.StateStore;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.commcare.SubmittedForm;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.Test;
import java.util.Arrays;

/**
 * kill -9 of a mediator in the middle of its work, restarted on the same H2 file; the caller resends (or polls)
 * until answered. Zero lost and zero duplicated effects upstream.
 *
 * <p>sms-codecard: killed in the middle of its forwarding saga: the OpenMRS encounter is created and
 * the OpenSRP call is in flight when the process dies. After a restart (recovery undoes the interrupted saga) the
 * same message is resent, as RapidPro does when it got no answer, until it is accepted. Zero lost: every message
 * ends with one live encounter and an accepted event; zero duplicated: never two live encounters for one message,
 * and every event carries the message uuid as formSubmissionId (OpenSRP updates rather than duplicates on it).
 *
 * <p>commcare-openmrs forms saga ({@link #formsSagaKilledMidStepLosesAndDuplicatesNothing}) and feed poll
 * ({@link #feedPollKilledMidBatchLosesAndDuplicatesNothing}): see there.
 *
 * <p>Kills: {@code FAULTS_KILLS} per kind (bench/faults sets 20; 1 in the test command).
 */
class KillNineFaultTest {
    /** A child JVM starts in seconds on a quiet machine; minutes when parallel builds load it (seen: over 60 s at load 20). */
    private static final Duration CHILD_START = Duration.ofMinutes(3);
    static final String JOHN = "+255712000002";
    static final String EVENT_PATH = "/opensrp/rest/event/add";

    @Test
    void killedMidSagaLosesAndDuplicatesNothing() throws Exception {
        int kills = Integer.parseInt(System.getenv().getOrDefault("FAULTS_KILLS", "1"));
        Path dir = Files.createTempDirectory("fault-kill9");
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0);
        RapidProSimulator rapidpro = new RapidProSimulator(0);
        WireMockServer opensrp = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        opensrp.start();
        // slow enough that the kill lands while the event is in flight
        opensrp.stubFor(post(urlPathEqualTo(EVENT_PATH)).willReturn(aResponse().withStatus(201).withFixedDelay(1500)));
        openmrs.addMetadata("encountertype", "2549af50-75c8-4aeb-87ca-4bb2cef6c69a", "ANC");
        openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
        List<String> patients = new ArrayList<>();
        String[] ids = {"1000Y", "1001W", "1002U", "1003R"};
        for (String id : ids) {
            openmrs.registerPatient("Test", "Patient" + id, "F", LocalDate.of(1998, 3, 4), id);
            patients.add(id);
        }
        Map<String, String> s = MediatorTestSettings.standalone("jdbc:h2:file:" + dir.resolve("sms-state")).map();
        s.put("configDir", Path.of("../mediator-configs/sms-codecard").toAbsolutePath().normalize().toString());
        s.put("openmrs.url", openmrs.baseUrl());
        s.put("openmrs.user", OpenMrsSimulator.USER);
        s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        s.put("rapidpro.url", rapidpro.baseUrl());
        s.put("rapidpro.token", rapidpro.token());
        s.put("opensrp.url", "http://127.0.0.1:" + opensrp.port() + "/opensrp");
        s.put("opensrp.user", "sms-mediator");
        s.put("opensrp.password", "opensrp-secret");
        s.put("sms.clock.fixed", "2026-06-15T09:00:00Z");
        s.put("sms.timezone", "UTC");
        s.put("sms.maxAttempts", "1000");
        s.put("http.readTimeoutMs", "5000");
        List<String> args = new ArrayList<>();
        s.forEach((k, v) -> args.add(k + "=" + v));

        int survived = 0;
        List<String> problems = new ArrayList<>();
        long started = System.nanoTime();
        long liveTotal = 0;
        List<Long> acceptedAfter = new ArrayList<>();
        try {
            for (int k = 1; k <= kills; k++) {
                String messageUuid = String.format("00000000-0000-4000-9000-%012d", k);
                // (patient, visit) is the card's duplicate key: a new pair per message (4 patients x 8 visits)
                String text = "ANC " + patients.get((k - 1) % 4) + " ANC" + (1 + (k - 1) / 4 % 8) + " LMP 01022026 WT 60";
                int encountersBefore = openmrs.encounters().size();
                long liveBefore = live(openmrs);
                ChildJvm child = ChildJvm.launch("192m", SmsCodecardChild.class, dir.resolve("mediator-" + k + ".log"), args);
                int port = child.awaitReady(CHILD_START);
                CompletableFuture<Http.Reply> inFlight = CompletableFuture.supplyAsync(() -> {
                    try {
                        return sms(port, messageUuid, text);
                    } catch (Exception e) {
                        return new Http.Reply(-1, String.valueOf(e.getMessage()));
                    }
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (openmrs.encounters().size() == encountersBefore && System.nanoTime() < deadline) Thread.sleep(10);
                Thread.sleep(200); // the OpenSRP event is now in flight (1.5 s)
                child.kill9();
                Http.Reply killedAnswer = inFlight.get();

                ChildJvm restarted = ChildJvm.launch("192m", SmsCodecardChild.class, dir.resolve("mediator-" + k + "-restart.log"), args);
                int port2 = restarted.awaitReady(CHILD_START);
                Http.Reply r = null;
                // the killed delivery's ledger claim holds for its lease (2 min in sms-codecard): resend past it
                long restartedAt = System.nanoTime();
                long until = restartedAt + Duration.ofSeconds(180).toNanos();
                int resends = 0;
                while (System.nanoTime() < until) {
                    r = sms(port2, messageUuid, text);
                    resends++;
                    if (r.status() == 200) break;
                    Thread.sleep(1000);
                }
                acceptedAfter.add((System.nanoTime() - restartedAt) / 1_000_000_000);
                restarted.close();
                long live = live(openmrs) - liveBefore; // messages go one at a time: this message's encounters
                long events = opensrp.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().startsWith(EVENT_PATH))
                        .filter(e -> e.getRequest().getBodyAsString().contains(messageUuid)).count();
                boolean ok = r != null && r.status() == 200 && live == 1 && events >= 1;
                if (ok) survived++;
                else problems.add("kill " + k + ": killed answer " + killedAnswer.status() + ", after restart " + (r == null ? "-" : r.status() + " "
                        + r.message()) + " after " + resends + " send(s); live encounters " + live + ", events posted " + events);
            }
            liveTotal = live(openmrs);
        } finally {
            openmrs.close();
            rapidpro.close();
            opensrp.stop();
        }
        long secs = (System.nanoTime() - started) / 1_000_000_000;
        String detail = "sms-codecard killed with the encounter created and the OpenSRP event in flight, restarted on the same H2 file, message resent until accepted ("
                + kills + " kills, " + secs + " s; accepted again " + acceptedAfter + " s after the restart; start-up recovery undoes the saga and releases the dead delivery's claims): " + (problems.isEmpty() ? "every message ended with exactly 1 live encounter and its event; "
                + liveTotal + " live encounters for " + kills + " messages" : "FAILED " + problems);
        FaultReport.record("kill -9 mid-saga (sms-codecard) x" + kills, kills, survived, detail);
        FaultReport.print();
        assertThat(problems).isEmpty();
    }

    static long live(OpenMrsSimulator openmrs) {
        return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean(false)).count();
    }

    static Http.Reply sms(int port, String messageUuid, String text) throws Exception {
        String body = RapidProSimulator.flowWebhook(messageUuid, UUID.nameUUIDFromBytes(JOHN.getBytes()).toString(), "Worker",
                "tel:" + JOHN, "eng", text).toString();
        return Http.postJson("http://127.0.0.1:" + port + "/sms/inbound", body, null);
    }

    // ------------------------------------------------------------------ commcare-openmrs

    static final String REST = "/openmrs/ws/rest/v1"; // with the context path, as the simulator sees it
    static final String RECEIVER = "/a/" + CommCareSimulator.DOMAIN + "/receiver/.*";
    static final String WRITE_BACK_XMLNS = "http://commcarehq.org/openmrs-integration";
    static final String FEED_XMLNS = "http://chis.org/xforms/openmrs-feed";
    /** A saga step that can be made slow: (method, path regex, which simulator). */
    record SlowStep(String name, String method, String pathRegex, boolean commcare) {}

    static final List<SlowStep> FORM_STEPS = List.of(
            new SlowStep("create patient", "POST", REST + "/patient", false),
            new SlowStep("start visit", "POST", REST + "/visit", false),
            new SlowStep("create encounter", "POST", REST + "/encounter", false),
            new SlowStep("create obs", "POST", REST + "/obs", false),
            new SlowStep("end visit", "POST", REST + "/visit/[0-9a-f-]{36}", false),
            new SlowStep("case write-back", "POST", RECEIVER, true));

    /**
     * kill -9 of commcare-openmrs in the middle of its forms saga: a new-person registration form is posted, one
     * saga step (a different one each round: patient, visit, encounter, obs, end visit, case write-back) has done
     * its write but its answer is held back 4 s, and the process is killed then. Restarted on the same H2 file, the
     * form is resent as CommCare's repeater / core's rerun would until answered 2xx (start-up recovery undoes the
     * interrupted saga and releases the dead run's claim, so the resend is taken at once, not after the 300 s lease). Each round
     * must end with exactly 1 patient, 1 visit (ended), 1 encounter with all its obs, nothing voided or orphaned
     * (rollback purges), exactly 1 case write-back form in CommCare, the ledger SUCCEEDED and no saga left running.
     */
    @Test
    void formsSagaKilledMidStepLosesAndDuplicatesNothing() throws Exception {
        int kills = Integer.parseInt(System.getenv().getOrDefault("FAULTS_KILLS", "1"));
        Path dir = Files.createTempDirectory("fault-kill9-forms");
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0);
        CommCareSimulator hq = new CommCareSimulator(0);
        List<String> args = commcareOpenmrsArgs(dir, openmrs, hq);
        JsonNode template = Json.parse(Files.readString(
                Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"), StandardCharsets.UTF_8));
        int survived = 0;
        List<String> problems = new ArrayList<>();
        List<String> ledgerKeys = new ArrayList<>();
        List<Long> answeredAfter = new ArrayList<>();
        Map<String, Integer> killedAt = new LinkedHashMap<>();
        long started = System.nanoTime();
        try {
            for (int k = 1; k <= kills; k++) {
                SlowStep step = FORM_STEPS.get((k - 1) % FORM_STEPS.size());
                String form = newPersonForm(template, k);
                JsonNode f = Json.parse(form);
                String formId = f.path("id").asText();
                String caseId = f.path("form").path("case").path("@case_id").asText();
                ledgerKeys.add("commcare-form:" + formId);
                int[] before = allAndLive(openmrs);
                int stepCalls = stepCalls(openmrs, hq, step);
                if (step.commcare()) hq.slowNext(step.method(), step.pathRegex(), 4000);
                else openmrs.slowNext(step.method(), step.pathRegex(), 4000);

                ChildJvm child = ChildJvm.launch("192m", CommcareOpenmrsChild.class, dir.resolve("forms-" + k + ".log"), args);
                int port = child.awaitReady(CHILD_START);
                CompletableFuture<Http.Reply> inFlight = CompletableFuture.supplyAsync(() -> postQuietly(formsUrl(port), form));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (stepCalls(openmrs, hq, step) == stepCalls && System.nanoTime() < deadline) Thread.sleep(10);
                boolean reached = stepCalls(openmrs, hq, step) > stepCalls;
                Thread.sleep(150); // the step's write is done, its answer is held back: the saga is mid-step
                child.kill9();
                Http.Reply killedAnswer = inFlight.get();
                if (reached) killedAt.merge(step.name(), 1, Integer::sum);

                ChildJvm restarted = ChildJvm.launch("192m", CommcareOpenmrsChild.class, dir.resolve("forms-" + k + "-restart.log"), args);
                int port2 = restarted.awaitReady(CHILD_START);
                long restartedAt = System.nanoTime();
                Http.Reply r = null;
                int sends = 0;
                long until = restartedAt + Duration.ofSeconds(120).toNanos();
                while (System.nanoTime() < until) {
                    r = postQuietly(formsUrl(port2), form);
                    sends++;
                    if (r.status() == 201 || r.status() == 200) break;
                    Thread.sleep(250); // 409 while the dead run's claim holds, as CommCare's repeater would see
                }
                answeredAfter.add((System.nanoTime() - restartedAt) / 1_000_000);
                Http.Reply again = postQuietly(formsUrl(port2), form);
                restarted.close();

                int[] delta = delta(before, allAndLive(openmrs));
                JsonNode answer = r == null ? Json.object() : parseQuietly(r.message());
                String patient = answer.path("patient").path("uuid").asText("");
                String encounter = answer.path("encounter").asText("");
                String visit = answer.path("visit").asText("");
                int obsExpected = answer.path("observations").asInt(-1);
                long encounterObs = openmrs.observations().stream().filter(o -> !o.path("voided").asBoolean(false))
                        .filter(o -> encounter.equals(o.path("encounter").path("uuid").asText())).count();
                boolean visitEnded = openmrs.visit(visit).map(v -> !v.path("stopDatetime").isNull()).orElse(false);
                long writeBacks = hq.submittedForms().stream().filter(x -> WRITE_BACK_XMLNS.equals(x.xmlns()))
                        .filter(x -> x.caseIds().contains(caseId)).count();
                String casePatient = hq.caseById(caseId).map(c -> c.property("openmrs_uuid")).orElse(null);
                boolean duplicate = again.status() == 200 && parseQuietly(again.message()).path("duplicate").asBoolean(false);
                // delta = {patients, visits, encounters, obs} all (voided too), then the same live
                boolean ok = r != null && r.status() == 201 && reached
                        && delta[0] == 1 && delta[1] == 1 && delta[2] == 1 && delta[3] == obsExpected && obsExpected > 0
                        && delta[4] == 1 && delta[5] == 1 && delta[6] == 1 && delta[7] == obsExpected
                        && encounterObs == obsExpected && visitEnded && writeBacks == 1 && patient.equals(casePatient) && duplicate;
                if (ok) survived++;
                else problems.add("kill " + k + " (" + step.name() + (reached ? "" : ", step never reached") + "): killed answer "
                        + killedAnswer.status() + ", after restart " + (r == null ? "-" : r.status() + " " + abbreviate(r.message()))
                        + " after " + sends + " send(s); OpenMRS (patients, visits, encounters, obs: all then live) "
                        + Arrays.toString(delta) + ", obs of the encounter " + encounterObs + " of " + obsExpected
                        + ", visit ended " + visitEnded + ", case write-backs " + writeBacks + ", case openmrs_uuid " + casePatient
                        + ", resend answered " + again.status() + " duplicate=" + duplicate);
            }
        } finally {
            openmrs.close();
            hq.close();
        }
        // the ledger and the saga journal in the file the killed and restarted processes shared
        List<String> notDone = new ArrayList<>();
        List<String> running;
        try (StateStore store = StateStore.open("jdbc:h2:file:" + dir.resolve("state"), "", "", null, "commcare-openmrs")) {
            for (String key : ledgerKeys) {
                Ledger.Status st = store.ledger().find(key).map(Ledger.Entry::status).orElse(null);
                if (st != Ledger.Status.SUCCEEDED) notDone.add(key + "=" + st);
                SagaJournal.State saga = store.sagaJournal().find(key).map(SagaJournal.Entry::state).orElse(null);
                if (saga != SagaJournal.State.COMPLETED) notDone.add(key + " saga " + saga);
            }
            running = store.sagaJournal().unfinished();
        }
        if (!notDone.isEmpty() || !running.isEmpty()) {
            problems.add("ledger/saga journal not done: " + notDone + ", sagas still RUNNING: " + running);
            survived = Math.min(survived, kills - 1);
        }
        long secs = (System.nanoTime() - started) / 1_000_000_000;
        String detail = "commcare-openmrs killed mid forms saga (a new-person registration form; the step whose answer was held back: "
                + killedAt + "), restarted on the same H2 file, form resent until answered (" + kills + " kills, " + secs
                + " s; answered 201 " + answeredAfter + " ms after the restart, default forms.leaseSeconds=300, forms.replicas=single): "
                + (problems.isEmpty() ? "every form ended with exactly 1 patient, 1 ended visit, 1 encounter with all its obs, nothing voided "
                + "or orphaned in OpenMRS, exactly 1 case write-back in CommCare, the resend a duplicate, ledger SUCCEEDED and no saga RUNNING"
                : "FAILED " + problems);
        FaultReport.record("kill -9 mid forms saga (commcare-openmrs) x" + kills, kills, survived, detail);
        FaultReport.print();
        assertThat(problems).isEmpty();
    }

    /**
     * kill -9 of commcare-openmrs in the middle of a feed poll: each round publishes a backlog in the OpenMRS
     * simulator's atom feeds (3 new patients, then 2 encounters each, interleaved: 9 entries over both feeds) and
     * polls; one entry (a different one each round) is slow, alternately its OpenMRS resource read and its CommCare
     * submission (which HQ has saved when the process dies), and the process is killed while it waits. Restarted on
     * the same H2 file (default lease), it is polled until a poll reads nothing new. Every entry must have been applied exactly once
     * in CommCare (one accepted form carrying its entry id: none missing, none twice), each patient one case, each
     * patient's forms in feed order, its case holding the last encounter's values, and both markers on the last entry.
     */
    @Test
    void feedPollKilledMidBatchLosesAndDuplicatesNothing() throws Exception {
        int kills = Integer.parseInt(System.getenv().getOrDefault("FAULTS_KILLS", "1"));
        Path dir = Files.createTempDirectory("fault-kill9-feeds");
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0);
        CommCareSimulator hq = new CommCareSimulator(0);
        List<String> args = commcareOpenmrsArgs(dir, openmrs, hq);
        int survived = 0;
        int entries = 0;
        List<String> problems = new ArrayList<>();
        List<Long> caughtUpAfter = new ArrayList<>();
        long started = System.nanoTime();
        OffsetDateTime firstVisit = OffsetDateTime.now(ZoneOffset.UTC).minusDays(60).withNano(0);
        int encounterNo = 0;
        try {
            for (int k = 1; k <= kills; k++) {
                // the backlog: patients first, then their encounters interleaved across patients
                int patientEntriesBefore = openmrs.feedSize("patient");
                int encounterEntriesBefore = openmrs.feedSize("encounter");
                List<String> patients = new ArrayList<>();
                Map<String, List<String>> entriesOf = new LinkedHashMap<>();
                Map<String, String> lastWeight = new LinkedHashMap<>();
                for (int i = 0; i < 3; i++) {
                    String p = openmrs.registerPatient("Feed" + k, "Kill" + k + "x" + i, i % 2 == 0 ? "F" : "M", LocalDate.of(1990 + i, 5, 6), "KF-" + k + "-" + i);
                    patients.add(p);
                    entriesOf.put(p, new ArrayList<>());
                }
                List<String> patientIds = openmrs.feedEntryIds("patient");
                for (int i = 0; i < 3; i++) entriesOf.get(patients.get(i)).add(patientIds.get(patientEntriesBefore + i));
                List<String> encounterOwner = new ArrayList<>();
                List<String> encounterUuids = new ArrayList<>();
                for (int e = 0; e < 2; e++) {
                    for (String p : patients) {
                        encounterNo++;
                        String weight = String.valueOf(50 + encounterNo % 40);
                        encounterUuids.add(openmrs.recordEncounter(p, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, firstVisit.plusHours(encounterNo),
                                Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, Integer.parseInt(weight))));
                        encounterOwner.add(p);
                        lastWeight.put(p, weight);
                    }
                }
                List<String> encounterIds = openmrs.feedEntryIds("encounter");
                List<String> roundEntries = new ArrayList<>(patientIds.subList(patientEntriesBefore, patientIds.size()));
                for (int i = 0; i < encounterOwner.size(); i++) {
                    String id = encounterIds.get(encounterEntriesBefore + i);
                    entriesOf.get(encounterOwner.get(i)).add(id);
                    roundEntries.add(id);
                }
                entries += roundEntries.size();

                // the entry the kill lands on, and which upstream keeps it waiting
                int at = (k - 1) % roundEntries.size();
                boolean slowSubmission = k % 2 == 0;
                String slowEntry = roundEntries.get(at);
                String slowPath = at < 3 ? REST + "/patient/" + patients.get(at) : REST + "/encounter/" + encounterUuids.get(at - 3);
                if (slowSubmission) hq.slowNextContaining("POST", RECEIVER, "<openmrs_feed_entry>" + slowEntry + "<", 4000);
                else openmrs.slowNext("GET", slowPath, 4000);

                ChildJvm child = ChildJvm.launch("192m", CommcareOpenmrsChild.class, dir.resolve("feeds-" + k + ".log"), args);
                int port = child.awaitReady(CHILD_START);
                CompletableFuture<Http.Reply> inFlight = CompletableFuture.supplyAsync(() -> postQuietly(pollUrl(port), "{}"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                boolean reached = false;
                while (!reached && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                    // a submission: HQ has saved it; a read: it arrived and every earlier entry of the batch was applied
                    reached = slowSubmission ? submittedEntryIds(hq).contains(slowEntry)
                            : openmrs.requestCount("GET", slowPath) > 0 && submittedEntryIds(hq).containsAll(roundEntries.subList(0, at));
                }
                Thread.sleep(150);
                child.kill9();
                Http.Reply killedAnswer = inFlight.get();

                ChildJvm restarted = ChildJvm.launch("192m", CommcareOpenmrsChild.class, dir.resolve("feeds-" + k + "-restart.log"), args);
                int port2 = restarted.awaitReady(CHILD_START);
                long restartedAt = System.nanoTime();
                JsonNode last = null;
                int polls = 0;
                List<Integer> statuses = new ArrayList<>();
                long until = restartedAt + Duration.ofSeconds(120).toNanos();
                while (System.nanoTime() < until) {
                    Http.Reply r = postQuietly(pollUrl(port2), "{}");
                    polls++;
                    if (statuses.isEmpty() || statuses.get(statuses.size() - 1) != r.status()) statuses.add(r.status());
                    if (r.status() == 200) {
                        last = parseQuietly(r.message());
                        if (caughtUp(last)) break;
                    }
                    Thread.sleep(250);
                }
                caughtUpAfter.add((System.nanoTime() - restartedAt) / 1_000_000);
                restarted.close();

                List<String> submitted = submittedEntryIds(hq);
                List<String> missing = new ArrayList<>();
                List<String> twice = new ArrayList<>();
                for (String id : roundEntries) {
                    long n = submitted.stream().filter(id::equals).count();
                    if (n == 0) missing.add(id);
                    if (n > 1) twice.add(id);
                }
                List<String> outOfOrder = new ArrayList<>();
                List<String> cases = new ArrayList<>();
                for (String p : patients) {
                    List<String> own = entriesOf.get(p);
                    List<String> seen = submitted.stream().filter(own::contains).toList();
                    if (!seen.equals(own)) outOfOrder.add(p.substring(0, 8) + " " + seen + " expected " + own);
                    List<org.chis.common.systems.commcare.CommCareCase> c = hq.casesByExternalId(p);
                    String weight = c.size() == 1 ? c.get(0).property("last_weight") : null;
                    if (c.size() != 1 || weight == null || Double.parseDouble(weight) != Double.parseDouble(lastWeight.get(p))) {
                        cases.add(p.substring(0, 8) + ": " + c.size() + " case(s), last_weight " + weight + " expected " + lastWeight.get(p));
                    }
                }
                String patientMarker = last == null ? null : markerEntry(last, "patient");
                String encounterMarker = last == null ? null : markerEntry(last, "encounter");
                boolean markersAtEnd = patientIds.get(patientIds.size() - 1).equals(patientMarker)
                        && encounterIds.get(encounterIds.size() - 1).equals(encounterMarker);
                boolean ok = reached && last != null && missing.isEmpty() && twice.isEmpty() && outOfOrder.isEmpty() && cases.isEmpty() && markersAtEnd;
                if (ok) survived++;
                else problems.add("kill " + k + " (entry " + (at + 1) + " of " + roundEntries.size() + ", slow " + (slowSubmission ? "CommCare submission" : "OpenMRS read")
                        + (reached ? "" : ", never reached") + "): killed poll answered " + killedAnswer.status() + "; after restart " + polls + " poll(s) "
                        + statuses + ", last " + (last == null ? "-" : abbreviate(last.toString())) + "; missing " + missing + ", applied twice " + twice
                        + ", out of order " + outOfOrder + ", cases " + cases + ", markers at end " + markersAtEnd);
            }
        } finally {
            openmrs.close();
            hq.close();
        }
        long secs = (System.nanoTime() - started) / 1_000_000_000;
        String detail = "commcare-openmrs killed mid feed poll (9 new entries per round over both feeds; the kill lands on entry 1..9 in turn, "
                + "alternately while its OpenMRS read or its CommCare submission, already saved by HQ, is held back), restarted on the same H2 file, "
                + "polled until caught up (" + kills + " kills, " + entries + " entries, " + secs + " s; caught up " + caughtUpAfter
                + " ms after the restart, default feeds.leaseSeconds: the dead poll's entry claims are taken over at once): "
                + (problems.isEmpty() ? "every entry applied exactly once in CommCare (one accepted form each, none missing), one case per patient, "
                + "per-patient feed order kept, cases hold the last encounter's values, both markers on the last entry"
                : "FAILED " + problems);
        FaultReport.record("kill -9 mid feed poll (commcare-openmrs) x" + kills, kills, survived, detail);
        FaultReport.print();
        assertThat(problems).isEmpty();
    }

    /** Settings of the commcare-openmrs child: simulators, an H2 file in {@code dir}, no core, short leases. */
    static List<String> commcareOpenmrsArgs(Path dir, OpenMrsSimulator openmrs, CommCareSimulator hq) {
        Map<String, String> s = MediatorTestSettings.standalone("jdbc:h2:file:" + dir.resolve("state")).map();
        s.put("configDir", Path.of("../mediator-configs/commcare-openmrs").toAbsolutePath().normalize().toString());
        s.put("openmrs.url", openmrs.baseUrl());
        s.put("openmrs.user", OpenMrsSimulator.USER);
        s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        s.put("commcare.url", hq.baseUrl());
        s.put("commcare.domain", CommCareSimulator.DOMAIN);
        s.put("commcare.user", CommCareSimulator.USER);
        s.put("commcare.apiKey", CommCareSimulator.API_KEY);
        s.put("http.readTimeoutMs", "10000"); // longer than the held-back answers: the kill, not a timeout, ends the step
        // default forms lease (300 s) and forms.replicas=single: start-up recovery undoes the dead run's saga and releases
        // its claim, so the resend is taken at once. The feeds keep their default lease too (a poll takes over at once)
        s.put("feeds.retry.baseSeconds", "1");
        List<String> args = new ArrayList<>();
        s.forEach((k, v) -> args.add(k + "=" + v));
        return args;
    }

    static String formsUrl(int port) { return "http://127.0.0.1:" + port + "/commcare/forms"; }

    static String pollUrl(int port) { return "http://127.0.0.1:" + port + "/openmrs/feeds/poll"; }

    /** The answer, or status -1 when the connection broke (the process was killed under it). */
    static Http.Reply postQuietly(String url, String json) {
        try {
            return Http.postJson(url, json, null);
        } catch (Exception e) {
            return new Http.Reply(-1, String.valueOf(e.getMessage()));
        }
    }

    static JsonNode parseQuietly(String json) {
        try {
            return Json.parse(json);
        } catch (RuntimeException e) {
            return Json.object();
        }
    }

    static int stepCalls(OpenMrsSimulator openmrs, CommCareSimulator hq, SlowStep step) {
        return step.commcare() ? hq.requestCount(step.method(), step.pathRegex()) : openmrs.requestCount(step.method(), step.pathRegex());
    }

    /** Patients, visits, encounters, obs in the OpenMRS simulator: all of them (voided too), then the live ones. */
    static int[] allAndLive(OpenMrsSimulator openmrs) {
        List<List<JsonNode>> kinds = List.of(openmrs.patients(), openmrs.visits(), openmrs.encounters(), openmrs.observations());
        int[] n = new int[8];
        for (int i = 0; i < 4; i++) {
            n[i] = kinds.get(i).size();
            n[4 + i] = (int) kinds.get(i).stream().filter(e -> !e.path("voided").asBoolean(false)).count();
        }
        return n;
    }

    static int[] delta(int[] before, int[] after) {
        int[] d = new int[before.length];
        for (int i = 0; i < d.length; i++) d[i] = after[i] - before[i];
        return d;
    }

    /** The demo registration form as a new person (own form id, case id, national id, family name). */
    static String newPersonForm(JsonNode template, int k) { return SagaStepFaultTest.newPersonForm(template, "KILL", "Killed", k); }

    private static final Pattern FEED_ENTRY = Pattern.compile("<openmrs_feed_entry>([^<]*)</openmrs_feed_entry>");

    /** Feed entry ids of the forms HQ accepted from the feed sync, in the order HQ accepted them. */
    static List<String> submittedEntryIds(CommCareSimulator hq) {
        List<String> out = new ArrayList<>();
        for (SubmittedForm f : hq.submittedForms()) {
            if (!FEED_XMLNS.equals(f.xmlns()) || f.xml() == null) continue;
            Matcher m = FEED_ENTRY.matcher(f.xml());
            if (m.find()) out.add(m.group(1));
        }
        return out;
    }

    /** A poll that read nothing new, retried nothing and parked nothing: the feeds are caught up. */
    static boolean caughtUp(JsonNode poll) {
        if (poll.path("more").asBoolean(true) || poll.has("error")) return false;
        for (String feed : List.of("patient", "encounter")) {
            JsonNode f = poll.path("feeds").path(feed);
            if (f.path("read").asInt(-1) != 0 || f.path("retried").asInt(0) != 0 || f.path("failed").asInt(0) != 0
                    || f.path("waiting").asInt(0) != 0 || f.has("stopped")) return false;
        }
        return true;
    }

    static String markerEntry(JsonNode poll, String feed) {
        JsonNode marker = poll.path("feeds").path(feed).path("marker");
        return marker.isTextual() ? parseQuietly(marker.asText()).path("entry").asText(null) : null;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }
}
