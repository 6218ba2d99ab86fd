package org.chis.bench.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.chis.common.json.Json;

/**
 * What one mediator answer says about its own time: the number of upstream calls (orchestrations) and the time
 * spent inside them (request to response timestamp, summed). The rest of the round trip is the mediator's own
 * work (parsing, ledger, journal, id map, envelope) plus the HTTP hop from the driver.
 */
record EnvelopeTimes(int calls, double upstreamMs) {

    static EnvelopeTimes of(String envelope) {
        JsonNode orchestrations = Json.parse(envelope).path("orchestrations");
        double ms = 0;
        for (JsonNode o : orchestrations) {
            String from = o.path("request").path("timestamp").asText(null);
            String to = o.path("response").path("timestamp").asText(null);
            if (from != null && to != null) ms += Duration.between(Instant.parse(from), Instant.parse(to)).toNanos() / 1e6;
        }
        return new EnvelopeTimes(orchestrations.size(), ms);
    }
}
