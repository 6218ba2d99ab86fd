package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/prometheus and docker/grafana without Docker: Prometheus scrapes every mediator of the compose file on its
 * port with the token the mediators get, and the dashboard asks only for series the mediators expose
 * (OperatorEndpointsTest asserts those names on a real /metrics).
 */
class MonitoringConfigTest {
    static final Path DOCKER = DockerComposeTest.DOCKER;
    static final List<String> MEDIATORS = List.of("commcare-openmrs", "referral", "dhis2", "sms-codecard");
    static final Set<String> SERIES = Set.of("chis_requests_seconds_count", "chis_requests_seconds_sum", "chis_requests_seconds_max",
            "chis_request_failures_total", "chis_feed_parked", "chis_feed_parked_limit", "chis_feed_marker_age_seconds", "chis_claims_stuck",
            "chis_saga_duration_seconds_count", "chis_saga_duration_seconds_sum", "chis_saga_duration_seconds_max");

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEveryMediatorWithTheTokenItIsGiven() throws Exception {
        Map<String, Object> prom = new Yaml().load(Files.readString(DOCKER.resolve("prometheus/prometheus.yml")));
        Map<String, Object> job = ((List<Map<String, Object>>) prom.get("scrape_configs")).get(0);
        assertThat(job.get("metrics_path")).isEqualTo("/metrics");
        List<String> targets = (List<String>) ((List<Map<String, Object>>) job.get("static_configs")).get(0).get("targets");
        List<String> expected = new ArrayList<>();
        for (String m : MEDIATORS) {
            Properties p = new Properties();
            try (var in = Files.newInputStream(ShippedChannelsTest.repo().resolve("mediator-configs/" + m + "/mediator.properties"))) {
                p.load(in);
            }
            expected.add(m + ":" + p.getProperty("mediator.port"));
            assertThat(DockerComposeTest.service(m)).as(m + " is a compose service").isNotNull();
        }
        assertThat(targets).containsExactlyInAnyOrderElementsOf(expected);

        Map<String, Object> env = (Map<String, Object>) DockerComposeTest.service("commcare-openmrs").get("environment");
        assertThat(((Map<String, Object>) job.get("authorization")).get("credentials")).isEqualTo(env.get("METRICS_TOKEN"));
        assertThat((List<String>) DockerComposeTest.service("prometheus").get("volumes")).contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        assertThat((List<String>) DockerComposeTest.service("grafana").get("volumes"))
                .contains("./grafana/chis-mediators.json:/var/lib/grafana/dashboards/chis-mediators.json:ro");
    }

    @Test
    void theDashboardAsksOnlyForSeriesTheMediatorsExpose() throws Exception {
        JsonNode dash = Json.parse(Files.readString(DOCKER.resolve("grafana/chis-mediators.json")));
        Set<String> used = new TreeSet<>();
        Pattern name = Pattern.compile("\\bchis_[a-z_]+");
        for (JsonNode panel : dash.path("panels")) {
            for (JsonNode t : panel.path("targets")) {
                Matcher m = name.matcher(t.path("expr").asText());
                while (m.find()) used.add(m.group());
            }
        }
        assertThat(used).isNotEmpty().allMatch(SERIES::contains);
        assertThat(used).contains("chis_requests_seconds_count", "chis_request_failures_total", "chis_feed_parked",
                "chis_feed_marker_age_seconds", "chis_saga_duration_seconds_count");
    }
}
