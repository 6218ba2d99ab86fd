package org.chis.bench.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.chis.bench.DirectComparison;
import org.chis.bench.LoadDriver;
import org.chis.bench.UpstreamReplay;
import org.chis.common.json.Json;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;

/**
 * The direct side of forms-saga: one registration form is sent through the (warm) mediator, the upstream calls it
 * made are read from the simulators' journals, and the driver replays them with a new form id, case id, national id
 * and family name (and new uuids for what the mediator creates) per replay.
 */
final class FormsDirect {
    private FormsDirect() {}

    static DirectComparison record(OpenMrsSimulator openmrs, CommCareSimulator hq, HttpClient http, String url, JsonNode template,
            Duration warmup, Duration measure) throws Exception {
        send(http, url, FormsSagaBenchmark.form(template, 0)); // one-off lookups (metadata caches) are not part of a form's calls
        UpstreamReplay.clear(openmrs.wireMock(), hq.wireMock());
        ObjectNode probe = FormsSagaBenchmark.form(template, 0); // unique: the form adds random parts to n
        int status = send(http, url, probe);
        if (status != 201) throw new IllegalStateException("the form to replay was answered " + status);
        Thread.sleep(500); // anything the mediator sends after answering belongs to the form too
        UpstreamReplay replay = UpstreamReplay.recorded(openmrs.wireMock(), hq.wireMock());
        JsonNode q = probe.get("form");
        String id = probe.get("id").asText();
        String nationalId = q.get("national_id").asText();
        String lastName = q.get("last_name").asText();
        String caseId = q.get("case").get("@case_id").asText();
        return new DirectComparison("forms/s", new LoadDriver(warmup, measure), http, replay, n -> {
            String fresh = UUID.randomUUID().toString();
            return Map.of(id, fresh, caseId, UUID.randomUUID().toString(),
                    nationalId, "DIRECT-" + n + "-" + fresh.substring(0, 8), lastName, "Direct" + n + fresh.substring(0, 4));
        });
    }

    private static int send(HttpClient http, String url, ObjectNode form) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(form), StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
