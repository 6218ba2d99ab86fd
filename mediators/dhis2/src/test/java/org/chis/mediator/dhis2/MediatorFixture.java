package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;

/**
 * The dhis2 mediator (not registered with a core) against the DHIS2 and CommCare simulators, with the shipped mapping files of mediator-configs/dhis2 and an in-memory state store.
 */
final class MediatorFixture implements AutoCloseable {
    static final Path CONFIG = Path.of("../../mediator-configs/dhis2").toAbsolutePath().normalize();
    static final String RECEIVER = "/a/" + CommCareSimulator.DOMAIN + "/receiver/";

    final Dhis2Simulator dhis2;
    final CommCareSimulator commcare;
    final MediatorApp app;
    final String dbUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    MediatorFixture(Map<String, String> extra) {
        this(new Dhis2Simulator(0), new CommCareSimulator(0), extra,
                "jdbc:h2:mem:dhis2-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    MediatorFixture(Dhis2Simulator dhis2, CommCareSimulator commcare, Map<String, String> extra, String dbUrl) {
        this.dhis2 = dhis2;
        this.commcare = commcare;
        this.dbUrl = dbUrl;
        this.app = Main.start(settings(extra));
    }

    Settings settings(Map<String, String> extra) {
        return MediatorTestSettings.standalone(dbUrl)
                .upstream("dhis2", dhis2.baseUrl(), Dhis2Simulator.USER, Dhis2Simulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .set("aggregate.mapsDir", "datasets")
                .set("tracker.mappingsDir", "tracker")
                .set("import.mapping", "import.json")
                .set("http.readTimeoutMs", "10000")
                .setAll(extra)
                .in(CONFIG);
    }

    /** One answer of the mediator: HTTP status and the OpenHIM envelope. */
    record Reply(int http, JsonNode envelope) {
        String status() { return envelope.path("status").asText(); }

        JsonNode body() { return Json.parse(envelope.path("response").path("body").asText("{}")); }

        String property(String name) { return envelope.path("properties").path(name).asText(null); }

        List<String> orchestrationNames() {
            List<String> n = new ArrayList<>();
            envelope.path("orchestrations").forEach(o -> n.add(o.path("name").asText()));
            return n;
        }
    }

    Reply call(String method, String pathAndQuery, String body) throws Exception { return call(method, pathAndQuery, body, "application/json"); }

    Reply call(String method, String pathAndQuery, String body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + pathAndQuery)).timeout(Duration.ofSeconds(60));
        b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), Json.parse(r.body()));
    }

    @Override
    public void close() {
        app.close(); // closing twice is harmless
        commcare.close();
        dhis2.close();
    }
}
