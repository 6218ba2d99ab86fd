package org.chis.mediator.commcareopenmrs.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;

/**
 * OpenSRP server's REST API (opensrp-server-web, HTTP Basic): {@code GET /rest/event/sync}, {@code GET /rest/practitioner},
 * {@code TaskResource} ({@code GET /rest/task/{identifier}}, {@code POST /rest/task/add}, {@code POST /rest/task/sync}). Settings {@code opensrp.url},
 * {@code opensrp.user}, {@code opensrp.password} are read per call (a console edit applies to the next request).
 */
public final class OpenSrpClient {
    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    public OpenSrpClient(RecordingHttpClient http, Settings s) {
        this.http = http;
        this.endpoint = Endpoint.basic(s, "opensrp");
    }

    /** {@code PractitionerResource}: every practitioner ({@code {identifier, active, name, userId, username}}), a JSON array. */
    JsonNode practitioners(TransactionContext tx) {
        Request request = new Request.Builder().url(endpoint.get().base().newBuilder().addPathSegments("rest/practitioner").build())
                .header("Authorization", endpoint.get().authorization()).header("Accept", "application/json").get().build();
        UpstreamResponse r = http.send(tx, "OpenSRP: list practitioners", request);
        if (!r.ok()) throw new UpstreamException("OpenSRP: list practitioners answered " + r.status() + ": " + r.body(), r.status() >= 500 ? 502 : r.status());
        JsonNode body;
        try {
            body = r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenSRP: list practitioners answered a body that is not JSON", 502, e);
        }
        if (!body.isArray()) throw new UpstreamException("OpenSRP: list practitioners answered no JSON array: " + r.body(), 502);
        return body;
    }

    /**
     * {@code EventResource.sync}: up to {@code limit} events written after {@code serverVersion} that match the filters
     * (providerId, locationId, team, teamId: at least one), oldest first, with their clients:
     * {@code {"events":[…], "clients":[…], "no_of_events":n}}.
     */
    JsonNode eventSync(TransactionContext tx, Map<String, String> filters, long serverVersion, int limit) {
        HttpUrl.Builder url = endpoint.get().base().newBuilder().addPathSegments("rest/event/sync");
        filters.forEach(url::addQueryParameter);
        url.addQueryParameter("serverVersion", Long.toString(serverVersion)).addQueryParameter("limit", Integer.toString(limit));
        Request request = new Request.Builder().url(url.build()).header("Authorization", endpoint.get().authorization())
                .header("Accept", "application/json").get().build();
        UpstreamResponse r = http.send(tx, "OpenSRP: event sync", request);
        if (!r.ok()) {
            // its errors are {"msg": "..."}; a 4xx here is our configuration (filters, credentials), not the data
            String message = r.body();
            try {
                message = r.json().path("msg").asText(message);
            } catch (IllegalArgumentException notJson) {
                // the body is the message
            }
            throw new UpstreamException("OpenSRP: event sync answered " + r.status() + ": " + message, r.status() >= 500 ? 502 : r.status());
        }
        JsonNode body;
        try {
            body = r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenSRP: event sync answered a body that is not JSON", 502, e);
        }
        if (!body.path("events").isArray()) throw new UpstreamException("OpenSRP: event sync answered no 'events' array: " + r.body(), 502);
        return body;
    }

    /**
     * {@code GET /rest/task/{identifier}}: the task, or empty. TaskResource answers an unknown identifier 200 with the
     * body {@code null} (gson of no task); an empty answer (204) or 404 is taken the same way.
     */
    public Optional<JsonNode> task(TransactionContext tx, String identifier) {
        Request request = new Request.Builder().url(endpoint.get().base().newBuilder().addPathSegments("rest/task").addPathSegment(identifier).build())
                .header("Authorization", endpoint.get().authorization()).header("Accept", "application/json").get().build();
        UpstreamResponse r = http.send(tx, "OpenSRP: read task", request);
        if (r.status() == 204 || r.status() == 404 || (r.ok() && r.body().isBlank())) return Optional.empty();
        JsonNode task = json(r, "read task");
        return task.isObject() && task.hasNonNull("identifier") ? Optional.of(task) : Optional.empty();
    }

    /**
     * {@code POST /rest/task/add}: a JSON array of tasks, each stored (or replaced) by its identifier. TaskResource
     * answers 201 even for tasks it could not save, naming them ("Tasks with identifiers not processed: a,b"): that is
     * a failure here.
     */
    public void addTasks(TransactionContext tx, JsonNode tasks) {
        Request request = new Request.Builder().url(endpoint.get().base().newBuilder().addPathSegments("rest/task/add").build())
                .header("Authorization", endpoint.get().authorization())
                .post(RecordingHttpClient.jsonBody(Json.write(tasks))).build();
        UpstreamResponse r = http.send(tx, "OpenSRP: add tasks", request);
        if (!r.ok()) throw new UpstreamException("OpenSRP: add tasks answered " + r.status() + ": " + r.body(), r.status() >= 500 ? 502 : r.status());
        if (r.body() != null && r.body().contains("not processed")) throw new UpstreamException("OpenSRP: add tasks answered " + r.status() + ": " + r.body(), 502);
    }

    /**
     * {@code POST /rest/task/sync} with {@code {"plan":[..],"group":[..],"serverVersion":n}} (TaskResource's
     * TaskSyncRequestWrapper; the GET form is kept there only for old apps): the plan's tasks in those groups written at
     * or after serverVersion (status updates included), a JSON array.
     */
    public JsonNode taskSync(TransactionContext tx, String plan, String group, long serverVersion) {
        ObjectNode body = Json.object().put("serverVersion", serverVersion);
        body.putArray("plan").add(plan);
        body.putArray("group").add(group);
        Request request = new Request.Builder().url(endpoint.get().base().newBuilder().addPathSegments("rest/task/sync").build())
                .header("Authorization", endpoint.get().authorization()).header("Accept", "application/json")
                .post(RecordingHttpClient.jsonBody(Json.write(body))).build();
        JsonNode tasks = json(http.send(tx, "OpenSRP: task sync", request), "task sync");
        if (!tasks.isArray()) throw new UpstreamException("OpenSRP: task sync answered no JSON array", 502);
        return tasks;
    }

    private static JsonNode json(UpstreamResponse r, String what) {
        if (!r.ok()) throw new UpstreamException("OpenSRP: " + what + " answered " + r.status() + ": " + r.body(), r.status() >= 500 ? 502 : r.status());
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenSRP: " + what + " answered a body that is not JSON", 502, e);
        }
    }
}
