package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.chis.bench.ChildJvm;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the sms-codecard mediator in the middle of its forwarding saga: the OpenMRS encounter is created and
 * the OpenSRP call is in flight when the process dies. After a restart (recovery undoes the interrupted saga) the
 * same message is resent, as RapidPro does when it got no answer, until it is accepted. Zero lost: every message
 * ends with one live encounter and an accepted event; zero duplicated: never two live encounters for one message,
 * and every event carries the message uuid as formSubmissionId (OpenSRP updates rather than duplicates on it).
 * Kills: {@code FAULTS_KILLS} (bench/faults sets 20; 1 in the test command).
 */
class KillNineFaultTest {
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
        Map<String, String> s = new LinkedHashMap<>();
        s.put("configDir", Path.of("../mediator-configs/sms-codecard").toAbsolutePath().normalize().toString());
        s.put("mediator.port", "0");
        s.put("mediator.host", "localhost");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.inbound.username", "");
        s.put("mediator.inbound.password", "");
        s.put("core.register", "false");
        s.put("db.url", "jdbc:h2:file:" + dir.resolve("sms-state"));
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
                int port = child.awaitReady(Duration.ofSeconds(60));
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
                int port2 = restarted.awaitReady(Duration.ofSeconds(60));
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
                + kills + " kills, " + secs + " s; accepted again " + acceptedAfter + " s after the restart: the dead delivery's ledger lease must run out first): " + (problems.isEmpty() ? "every message ended with exactly 1 live encounter and its event; "
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
}
