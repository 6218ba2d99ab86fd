package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/docker-compose.yml without Docker: the keys that decide whether openhim-console 1.18 can log in to core 8
 * (core 8 enables an API login only if it is listed in api.authenticationTypes; its session cookie is Secure +
 * SameSite=None, so the console must be served over https like the API).
 */
class DockerComposeTest {
    static final Path DOCKER = ShippedChannelsTest.repo().resolve("docker");

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(String name) throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("docker-compose.yml")));
        return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
    }

    @Test
    @SuppressWarnings("unchecked")
    void coreEnablesTheConsolesLocalLoginAndTheMediatorsBasicLogin() throws Exception {
        Map<String, Object> env = (Map<String, Object>) service("openhim-core").get("environment");
        JsonNode types = Json.parse(String.valueOf(env.get("api_authenticationTypes")));
        assertThat(types.isArray()).isTrue();
        List<String> names = new ArrayList<>();
        types.forEach(t -> names.add(t.asText()));
        assertThat(names).contains("local", "basic");
        assertThat(String.valueOf(service("openhim-core").get("image"))).startsWith("jembi/openhim-core:v8.");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theConsoleIsServedOverHttpsAndTalksToTheHttpsApi() throws Exception {
        Map<String, Object> console = service("openhim-console");
        assertThat((List<String>) console.get("ports")).containsExactly("9000:443");
        List<String> volumes = (List<String>) console.get("volumes");
        assertThat(volumes).contains("./console/nginx-https.conf:/etc/nginx/conf.d/default.conf:ro",
                "./console/default.json:/usr/share/nginx/html/config/default.json:ro", "./certs:/certs:ro");

        String nginx = Files.readString(DOCKER.resolve("console/nginx-https.conf"));
        assertThat(nginx).contains("listen 443 ssl;").contains("ssl_certificate     /certs/core.pem;")
                .contains("ssl_certificate_key /certs/core-key.pem;").contains("root /usr/share/nginx/html;");
        JsonNode config = Json.parse(Files.readString(DOCKER.resolve("console/default.json")));
        assertThat(config.path("protocol").asText()).isEqualTo("https");
        assertThat(config.path("host").asText()).isEqualTo("localhost");
        assertThat(config.path("port").asInt()).as("core's API port, published as 8080:8080").isEqualTo(8080);
        assertThat((List<String>) service("openhim-core").get("ports")).contains("8080:8080");
    }
}
