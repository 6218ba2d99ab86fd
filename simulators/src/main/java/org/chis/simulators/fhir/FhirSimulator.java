package org.chis.simulators.fhir;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.chis.common.json.Json;

/**
 * A stateful FHIR R4 server on WireMock that answers like HAPI FHIR JPA server under {@code /fhir}:
 * create/read/vread/update/delete with {@code meta.versionId} and {@code If-Match} (412 when stale),
 * conditional create ({@code If-None-Exist}), searches by identifier, status, references and
 * {@code _lastUpdated=gt...} returning paged searchset Bundles, and OperationOutcome errors.
 * <p>
 * Tests inject faults with their own stubs: WireMock priority 1-9 beats the simulator's 10. Helpers let a
 * test act as another user of the server ({@link #edit}) and look at what is stored ({@link #resources}).
 */
public final class FhirSimulator implements AutoCloseable {
    public static final String CONTEXT_PATH = "/fhir";
    static final int SIMULATOR_PRIORITY = 10;

    private final WireMockServer server;
    private final FhirStore store = new FhirStore();
    private final FhirApi api;

    public FhirSimulator(int port) {
        this.api = new FhirApi(store, CONTEXT_PATH, this::baseUrl);
        WireMockConfiguration options = WireMockConfiguration.options().stubRequestLoggingDisabled(true)
                .bindAddress("127.0.0.1")
                .containerThreads(64)
                .notifier(new Slf4jNotifier(false))
                .extensions(api);
        if (port == 0) options.dynamicPort();
        else options.port(port);
        server = new WireMockServer(options);
        server.start();
        stubApi();
    }

    private void stubApi() {
        server.stubFor(any(urlPathMatching(CONTEXT_PATH + "(/.*)?")).atPriority(SIMULATOR_PRIORITY)
                .willReturn(aResponse().withTransformers(FhirApi.NAME)));
        // outside the context path: what a servlet container answers
        server.stubFor(any(anyUrl()).atPriority(SIMULATOR_PRIORITY + 10).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "text/html").withBody("<html><body><h2>404 Not Found</h2></body></html>")));
    }

    /** The FHIR base URL, e.g. {@code http://127.0.0.1:9085/fhir}. */
    public String baseUrl() { return "http://127.0.0.1:" + server.port() + CONTEXT_PATH; }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    /** A fixed delay on every answer (e.g. 5 ms for benchmarks); 0 = none. */
    public FhirSimulator latency(int millis) {
        server.setGlobalFixedDelay(millis);
        return this;
    }

    /** Stamps {@code meta.lastUpdated} from this clock (default: the system clock). */
    public FhirSimulator clock(Clock clock) {
        store.clock(clock);
        return this;
    }

    /** Current (not deleted) resources of a type, oldest first. Copies: changing them changes nothing. */
    public List<ObjectNode> resources(String type) { return store.live(type); }

    public int count(String type) { return store.live(type).size(); }

    public Optional<ObjectNode> read(String type, String id) {
        return store.current(type, id).filter(v -> !v.deleted()).map(v -> v.resource().deepCopy());
    }

    /** How many versions (including deletes) the resource has had; 0 if it never existed. */
    public int versions(String type, String id) { return store.history(type, id).size(); }

    public boolean deleted(String type, String id) { return store.current(type, id).map(FhirStore.Version::deleted).orElse(false); }

    /** Seeds a resource as if someone created it earlier (its own id, or a server id if none); returns the stored copy. */
    public ObjectNode put(ObjectNode resource) {
        String type = resource.path("resourceType").asText(null);
        if (type == null) throw new IllegalArgumentException("resourceType missing");
        synchronized (store) {
            String id = resource.hasNonNull("id") ? resource.get("id").asText() : store.newId();
            return store.write(type, id, resource);
        }
    }

    /**
     * Another client (a facility app, a clinician in the EMR) changes a resource on the server: a new
     * version with a new {@code lastUpdated}, exactly as if it came through the API.
     */
    public ObjectNode edit(String type, String id, Consumer<ObjectNode> change) {
        synchronized (store) {
            ObjectNode current = read(type, id).orElseThrow(() -> new IllegalArgumentException(type + "/" + id + " does not exist"));
            change.accept(current);
            return store.write(type, id, current);
        }
    }

    /** An OperationOutcome as this server words errors, for tests that stub faults. */
    public static String operationOutcome(String code, String diagnostics) {
        return Json.write(FhirApi.oo("error", code, diagnostics));
    }

    /** Forgets every resource, search and injected stub; the API stub is put back. */
    public void reset() {
        store.clear();
        api.clearSearches();
        server.resetAll();
        stubApi();
    }

    @Override
    public void close() { server.stop(); }
}
