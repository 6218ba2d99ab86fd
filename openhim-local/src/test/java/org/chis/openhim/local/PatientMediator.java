package org.chis.openhim.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import okhttp3.Credentials;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.ResourceRef;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;

/**
 * The smallest real mediator for the runtime integration test: {@link MediatorApp} + {@link RecordingHttpClient}
 * to an upstream (WireMock) + a {@link StateStore} (H2 file) ledger and saga, written the way the suite's
 * mediators are. {@code POST /rt/patients {"id","name"}} creates one upstream patient (deterministic uuid,
 * ledger claim by id, so reruns never duplicate); {@code POST /rt/visits {"id"}} is a three-step saga.
 */
final class PatientMediator implements AutoCloseable {
    static final String UPSTREAM_USER = "it-upstream-user";
    static final String UPSTREAM_PASSWORD = "Upstr3am-S3cret-pw";

    final MediatorApp app;
    final StateStore store;
    /** Every settings change pushed by core (onChange), in order. */
    final List<Map<String, String>> changes = new CopyOnWriteArrayList<>();
    private final Saga saga;
    /** When {@link #start} was called: store, server and registration all count. */
    Instant createdAt;

    private PatientMediator(MediatorApp app, StateStore store) {
        this.app = app;
        this.store = store;
        Compensators compensators = new Compensators();
        for (String kind : new String[] {"patient", "a", "b", "c"}) compensators.register(kind, this::delete);
        this.saga = new Saga(store, compensators);
        app.settings().onChange(s -> changes.add(Map.of("greeting", s.get("greeting", ""), "upstream.url", s.get("upstream.url", ""))));
        app.route("POST", "/rt/patients", this::createPatient);
        app.route("POST", "/rt/visits", this::createVisit);
        app.route("GET", "/rt/hello", (req, tx) -> MediatorResponse.successful(Json.object().put("greeting", app.settings().get("greeting", ""))));
    }

    /** Writes the registration template into {@code configDir} and starts the mediator (listen, then register). */
    static PatientMediator start(String urn, Map<String, String> values, Path configDir) throws Exception {
        return start(urn, values, configDir, registrationTemplate(urn));
    }

    /** As {@link #start(String, Map, Path)} with another registration template (e.g. a channel with auto-retry). */
    static PatientMediator start(String urn, Map<String, String> values, Path configDir, String template) throws Exception {
        Instant t0 = Instant.now();
        Files.createDirectories(configDir);
        Files.writeString(configDir.resolve("mediator-registration-info.json"), template, StandardCharsets.UTF_8);
        Settings settings = Settings.of(values, configDir);
        StateStore store = StateStore.open("jdbc:h2:file:" + configDir.resolve("state").toAbsolutePath() + ";AUTO_SERVER=FALSE",
                "", "", null, "runtime-it");
        MediatorApp app = MediatorApp.create("runtime-it", settings);
        app.closeWithApp(store);
        PatientMediator m = new PatientMediator(app, store);
        m.createdAt = t0;
        app.start();
        return m;
    }

    static String registrationTemplate(String urn) {
        return """
            {
              "urn": "%s",
              "version": "1.2.3",
              "name": "CHIS runtime integration test mediator",
              "description": "Creates patients upstream; used to test the mediator runtime against a real core",
              "endpoints": [
                {"name": "runtime-it endpoint", "host": "${mediator.host}", "port": "${mediator.port}", "path": "/", "type": "http",
                 "username": "${mediator.inbound.username}", "password": "${mediator.inbound.password}"}
              ],
              "defaultChannelConfig": [
                {
                  "name": "Runtime IT %s",
                  "description": "Patients and visits through the runtime integration test mediator",
                  "urlPattern": "^/rt/.*$",
                  "type": "http",
                  "methods": ["GET", "POST"],
                  "allow": ["chis"],
                  "authType": "private",
                  "routes": [
                    {"name": "runtime-it mediator", "host": "${mediator.host}", "port": "${mediator.port}", "primary": true, "type": "http",
                     "username": "${mediator.inbound.username}", "password": "${mediator.inbound.password}"}
                  ],
                  "requestBody": true,
                  "responseBody": true,
                  "status": "enabled"
                }
              ],
              "configDefs": [
                {"param": "upstreamUrl", "displayName": "Upstream URL", "description": "Where patients are created", "type": "string"},
                {"param": "greeting", "displayName": "Greeting", "description": "Answered by GET /rt/hello", "type": "string"},
                {"param": "retries", "displayName": "Retries", "description": "A number, to check typed config", "type": "number"}
              ],
              "config": {"upstreamUrl": "${upstream.url}", "greeting": "${greeting}", "retries": "${retries}"}
            }
            """.formatted(urn, urn.substring(urn.lastIndexOf(':') + 1));
    }

    /** Deterministic upstream id for a source key: a rerun creates (or finds) the same resource. */
    static String uuidOf(String key) { return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString(); }

    private MediatorResponse createPatient(MediatorRequest req, TransactionContext tx) {
        JsonNode in = req.json();
        String id = in.path("id").asText("");
        String name = in.path("name").asText("");
        if (id.isBlank() || name.isBlank()) throw new BadInputException("'id' and 'name' are required");
        String key = "patient:" + id;
        Ledger.Claim claim = store.ledger().claim(key, "patient", Duration.ofMinutes(2));
        if (claim.result() == Ledger.ClaimResult.DONE) {
            tx.property("duplicate", "answered from the ledger");
            return MediatorResponse.successful(Json.parse(claim.outcome()));
        }
        if (!claim.owned()) return MediatorResponse.failed(409, key + " is being processed by another request");
        tx.property("attempt", claim.attempts());
        String uuid = uuidOf(key);
        String[] upstreamBody = {""};
        SagaOutcome out = saga.run(tx, claim, run -> run.create("create patient", "patient", uuid, () -> {
            login(tx);
            ObjectNode body = Json.object().put("uuid", uuid).put("name", name);
            UpstreamResponse r = send(tx, "create patient", "POST", "/api/patients", body);
            if (!r.ok()) throw new UpstreamException("create patient: HTTP " + r.status() + " " + r.body(), r.status());
            upstreamBody[0] = r.body();
            return uuid;
        }));
        if (!out.succeeded()) {
            store.ledger().fail(key, String.valueOf(out.failure().getMessage()));
            return MediatorResponse.failed(502, String.valueOf(out.failure().getMessage()));
        }
        ObjectNode outcome = Json.object().put("uuid", uuid).put("name", name);
        outcome.set("upstream", Json.parse(upstreamBody[0]));
        store.ledger().succeed(key, Json.write(outcome));
        return MediatorResponse.successful(outcome);
    }

    /** Three creates; when one fails, what the earlier ones made is deleted again (saga rollback). */
    private MediatorResponse createVisit(MediatorRequest req, TransactionContext tx) {
        String id = req.json().path("id").asText("");
        if (id.isBlank()) throw new BadInputException("'id' is required");
        Ledger.Claim claim = store.ledger().claim("visit:" + id, "visit", Duration.ofMinutes(2));
        if (!claim.owned()) return MediatorResponse.failed(409, "visit " + id + " is done or being processed");
        SagaOutcome out = saga.run(tx, claim, run -> {
            for (String part : new String[] {"a", "b", "c"}) {
                run.create("create " + part, part, null, () -> {
                    UpstreamResponse r = send(tx, "create " + part, "POST", "/api/" + part, Json.object().put("visit", id));
                    if (!r.ok()) throw new UpstreamException("create " + part + ": HTTP " + r.status(), r.status());
                    return r.json().path("id").asText();
                });
            }
        });
        if (!out.succeeded()) {
            store.ledger().fail(claim.key(), String.valueOf(out.failure().getMessage()));
            return MediatorResponse.failed(502, String.valueOf(out.failure().getMessage()));
        }
        store.ledger().succeed(claim.key(), "{}");
        return MediatorResponse.successful(Json.object().put("visit", id).put("parts", out.created().size()));
    }

    /** Compensator: DELETE /api/<kind>/<id>; 404 means already gone. */
    private void delete(TransactionContext tx, ResourceRef ref) {
        String path = "/api/" + (ref.kind().equals("patient") ? "patients" : ref.kind()) + "/" + ref.id();
        UpstreamResponse r = send(tx, "delete " + ref.kind(), "DELETE", path, null);
        if (!r.ok() && r.status() != 404) throw new UpstreamException("delete " + ref + ": HTTP " + r.status(), r.status());
    }

    /** A session login whose body carries the password: recorded, so it must be masked. */
    private void login(TransactionContext tx) {
        UpstreamResponse r = send(tx, "upstream login", "POST", "/api/session",
                Json.object().put("username", UPSTREAM_USER).put("password", UPSTREAM_PASSWORD));
        if (!r.ok()) throw new UpstreamException("upstream login: HTTP " + r.status(), r.status());
    }

    private UpstreamResponse send(TransactionContext tx, String name, String method, String path, JsonNode body) {
        Request.Builder b = new Request.Builder().url(app.settings().require("upstream.url") + path)
                .header("Authorization", Credentials.basic(UPSTREAM_USER, UPSTREAM_PASSWORD, StandardCharsets.UTF_8));
        b.method(method, body == null ? null : RecordingHttpClient.jsonBody(Json.write(body)));
        return app.http().send(tx, name, b.build());
    }

    /** From {@link #start} to core's 201 for POST /mediators (null before). */
    Duration startToRegistered() {
        Instant at = app.coreLink() == null ? null : app.coreLink().registeredAt();
        return at == null ? null : Duration.between(createdAt, at);
    }

    @Override
    public void close() { app.close(); }
}
