package org.chis.simulators.opensrp;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OpenSRP server's event and task APIs on WireMock under {@code /opensrp}: {@code POST /rest/event/add} stores events the
 * way OpenSRP does (an event sent again with the same id or formSubmissionId replaces the first; nothing is ever
 * deleted) and {@code GET /rest/event/findById?id=} reads one back, {@code GET /rest/event/sync} pages through them
 * by serverVersion with their clients; tasks are stored per identifier with a
 * serverVersion and read and changed through {@code /rest/task}, {@code /rest/task/add}, {@code /rest/task/sync} and
 * {@code /rest/task/update_status} (see {@link OpenSrpApi}). Tests inject faults with their own stubs
 * (WireMock priority 1-9 beats the simulator's 10) and look at what is stored.
 */
public final class OpenSrpSimulator implements AutoCloseable {
    public static final String CONTEXT_PATH = "/opensrp";
    public static final String USER = "sms-mediator";
    public static final String PASSWORD = "opensrp-secret";
    /** Where OpenSRP keeps the OpenMRS uuid of what an event became there (its OpenMRS connector's identifier type). */
    public static final String OPENMRS_UUID = "OPENMRS_UUID";
    static final int SIMULATOR_PRIORITY = 10;

    private final WireMockServer server;
    private final EventStore events = new EventStore();
    private final TaskStore tasks = new TaskStore();
    private final Map<String, ObjectNode> practitioners = new LinkedHashMap<>();

    public OpenSrpSimulator(int port) { this(port, USER, PASSWORD); }

    /** A server that takes other credentials (another OpenSRP an operator moves a mediator to, a changed password). */
    public OpenSrpSimulator(int port, String user, String password) {
        WireMockConfiguration options = WireMockConfiguration.options().stubRequestLoggingDisabled(true)
                .bindAddress("127.0.0.1")
                .containerThreads(64)
                .notifier(new Slf4jNotifier(false))
                .extensions(new OpenSrpApi(events, tasks, practitioners, CONTEXT_PATH, user, password));
        if (port == 0) options.dynamicPort();
        else options.port(port);
        server = new WireMockServer(options);
        server.start();
        stubApi();
    }

    private void stubApi() {
        server.stubFor(any(urlPathMatching(CONTEXT_PATH + "/rest/.*")).atPriority(SIMULATOR_PRIORITY)
                .willReturn(aResponse().withTransformers(OpenSrpApi.NAME)));
        server.stubFor(any(anyUrl()).atPriority(SIMULATOR_PRIORITY + 10).willReturn(aResponse().withStatus(404)));
    }

    /** The OpenSRP base URL the mediators' {@code opensrp.url} takes, e.g. {@code http://127.0.0.1:9086/opensrp}. */
    public String baseUrl() { return "http://127.0.0.1:" + server.port() + CONTEXT_PATH; }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    /** Stored events, in the order they were first added. Copies. */
    public List<ObjectNode> events() { return events.all(); }

    /** Stored events with this formSubmissionId (OpenSRP keeps at most one, since a resend replaces it). */
    public List<ObjectNode> eventsWithFormSubmissionId(String formSubmissionId) {
        return events.all().stream().filter(e -> formSubmissionId.equals(e.path("formSubmissionId").asText(null))).toList();
    }

    public Optional<ObjectNode> event(String id) { return events.byId(id); }

    /**
     * Stores an event as a CHW app's sync ({@code POST /rest/event/add}) does: a resend (same id or formSubmissionId)
     * replaces the first; returns it with its id and new serverVersion.
     */
    public ObjectNode addEvent(ObjectNode event) { return events.addOrUpdate(event); }

    /** Stores a client (per baseEntityId) as the app's sync does. */
    public ObjectNode addClient(ObjectNode client) { return events.addOrUpdateClient(client); }

    /** Stored clients, in the order they were first added. Copies. */
    public List<ObjectNode> clients() { return events.allClients(); }

    /** Client writes OpenSRP accepted, updates by a resend included. */
    public int clientWrites() { return events.clientWrites(); }

    /** Event writes OpenSRP accepted, updates by a resend included. */
    public int writes() { return events.writes(); }

    /** Stores a task as the CHW app's sync ({@code POST /rest/task/add}) does; returns it with its serverVersion. */
    public ObjectNode addTask(ObjectNode task) { return tasks.save(task); }

    public Optional<ObjectNode> task(String identifier) { return tasks.byIdentifier(identifier); }

    public List<ObjectNode> tasks() { return tasks.all(); }

    /** Status changes accepted through {@code /rest/task/update_status}. */
    public int taskStatusUpdates() { return tasks.statusUpdates(); }

    /**
     * Stores a practitioner ({@code org.smartregister.domain.Practitioner}: identifier, active, name, userId,
     * username) as {@code POST /rest/practitioner} does; one per identifier.
     */
    public void addPractitioner(ObjectNode practitioner) {
        synchronized (practitioners) {
            practitioners.put(practitioner.get("identifier").asText(), practitioner.deepCopy());
        }
    }

    /** Forgets every event, task, practitioner and injected stub; the API stubs are put back. */
    public void reset() {
        synchronized (practitioners) {
            practitioners.clear();
        }
        events.clear();
        tasks.clear();
        server.resetAll();
        stubApi();
    }

    @Override
    public void close() { server.stop(); }
}
