package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;

/**
 * A core supplied as a folder (what OPENHIM_CORE_HOME does), here the npm 4.0.5 install itself: it is run from
 * that folder with the keys of its version, and the mongoose-4 workaround still applies (a rerun's childIDs update).
 */
class SuppliedCoreTest {
    @Test
    void aSuppliedCoreFolderStartsRoutesAndRerunsWithTheKeysOfItsVersion() throws Exception {
        Path npmCore = NodeInstall.coreDir(OpenHimCore.locateHome(null).resolve(OpenHimCore.NODE_DIR));
        NodeInstall.ensureInstalled(npmCore.getParent().getParent(), Files.createTempFile("npm-install", ".log"));
        try (OpenHimCore core = OpenHimCore.start(OpenHimCore.Options.temp().coreHome(npmCore).rerunPollMillis(300));
             Upstream upstream = new Upstream()) {
            assertThat(core.install().dir()).isEqualTo(npmCore.toAbsolutePath().normalize());
            assertThat(core.install().version()).isEqualTo("4.0.5");
            JsonNode conf = Json.parse(Files.readString(core.confFile()));
            assertThat(conf.path("api").path("httpsPort").asInt()).isEqualTo(core.apiPort());
            assertThat(Files.readString(core.logFile())).contains("usePushEach on");
            assertThat(core.api().get("/about").json().path("currentCoreVersion").asText()).isEqualTo("4.0.5");

            CoreAdmin admin = core.admin();
            admin.createClient("supplied-client", "supplied-pass", "tests");
            admin.createChannel(CoreAdmin.httpChannel("Supplied rerun", "^/supplied$", "127.0.0.1", upstream.port(), "/flaky", "tests"));
            upstream.status.set(500);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(core.routerUrl() + "/supplied"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("supplied-client:supplied-pass".getBytes(StandardCharsets.UTF_8)))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            JsonNode failed = admin.waitForTransaction(t -> t.path("request").path("path").asText().equals("/supplied")
                    && t.path("status").asText().equals("Failed"), Duration.ofSeconds(10));
            upstream.status.set(200);
            JsonNode child = admin.rerunAndWait(failed.path("_id").asText(), Duration.ofSeconds(20));
            assertThat(child.path("status").asText()).isEqualTo("Successful");
            assertThat(admin.transaction(failed.path("_id").asText()).path("childIDs").toString())
                    .as("saved with $push/$each, not $pushAll").contains(child.path("_id").asText());
        }
    }
}
