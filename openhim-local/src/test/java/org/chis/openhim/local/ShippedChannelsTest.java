package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;

/**
 * The default channels the four mediators install (mediator-configs/*&#47;mediator-registration-info.json): core
 * auto-retries the failures that carry an {@code error} (upstream 5xx, timeouts, connection errors) only on channels
 * that enable it, so every request channel does, with a period and a bound an operator can live with.
 */
class ShippedChannelsTest {
    static Path repo() {
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("mediator-configs"))) return p;
        }
        throw new IllegalStateException("no mediator-configs above " + System.getProperty("user.dir"));
    }

    static List<JsonNode> channels(String type) throws Exception {
        try (Stream<Path> dirs = Files.list(repo().resolve("mediator-configs"))) {
            List<Path> files = dirs.map(d -> d.resolve("mediator-registration-info.json")).filter(Files::isRegularFile).sorted().toList();
            assertThat(files).hasSize(4);
            List<JsonNode> out = new ArrayList<>();
            for (Path f : files) Json.parse(Files.readString(f)).path("defaultChannelConfig").forEach(c -> {
                if (c.path("type").asText().equals(type)) out.add(c);
            });
            return out;
        }
    }

    @Test
    void everyRequestChannelHasCoreAutoRetryWithABoundedPeriodAndAttempts() throws Exception {
        List<JsonNode> http = channels("http");
        assertThat(http).hasSizeGreaterThanOrEqualTo(7);
        for (JsonNode c : http) {
            String name = c.path("name").asText();
            assertThat(c.path("autoRetryEnabled").asBoolean()).as(name).isTrue();
            assertThat(c.path("autoRetryPeriodMinutes").asInt()).as(name).isBetween(5, 60);
            assertThat(c.path("autoRetryMaxAttempts").asInt()).as(name + ": 0 would retry forever").isBetween(1, 20);
        }
    }

    @Test
    void pollingChannelsAreNotAutoRetriedTheirNextPollIsTheRetry() throws Exception {
        for (JsonNode c : channels("polling")) assertThat(c.path("autoRetryEnabled").asBoolean(false)).as(c.path("name").asText()).isFalse();
    }
}
