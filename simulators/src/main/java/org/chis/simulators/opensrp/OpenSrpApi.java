package org.chis.simulators.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Optional;
import org.chis.common.json.Json;

/**
 * Answers like opensrp-server-web's {@code EventResource}: {@code POST /rest/event/add} ({@code {"clients":[..],
 * "events":[..]}}, 400 when it has neither, else 201 without a body) and {@code GET /rest/event/findById?id=}
 * (the event, or an empty 200 when there is none: the controller returns null), {@code GET /rest/event/sync}
 * ({@code serverVersion}, {@code limit} (0 or none: 25) and at least one of the filters {@code providerId},
 * {@code locationId}, {@code baseEntityId}, {@code team}, {@code teamId}, each a comma-separated list; none -> 400
 * {@code {"msg":"specify atleast one filter"}}) -> 200 {@code {"events":[..], "clients":[..], "no_of_events":n}}, the
 * events written after {@code serverVersion} in serverVersion order and their clients; and {@code TaskResource}:
 * {@code POST|PUT /rest/task} (one task, 201), {@code POST /rest/task/add} (a JSON array, 201),
 * {@code GET /rest/task/{identifier}} (the task, or an empty 204), {@code POST /rest/task/sync}
 * ({@code {"plan":[..],"group":[..],"serverVersion":n}} or {@code {"owner":..,"serverVersion":n}} -> the tasks written
 * at or after that serverVersion, a JSON array) and {@code POST /rest/task/update_status} (a JSON array of
 * {@code {identifier, status, businessStatus, serverVersion}} -> 200 {@code {"task_ids":[the ones updated]}}, 400 when
 * none was, or when the body is not such an array); {@code ClientResource}: {@code GET /rest/client/search?identifier=} ({@code [client]} or
 * {@code [null]}) and {@code GET /rest/client/{baseEntityId or identifier}} (the client or {@code null});
 * {@code PractitionerResource}: {@code GET /rest/practitioner} (a
 * JSON array of {@code {identifier, active, name, userId, username}}), {@code GET /rest/practitioner/{identifier}}
 * (the practitioner, or {@code null}), {@code POST|PUT /rest/practitioner} (one, 201; no identifier -> 400) and
 * {@code POST /rest/practitioner/add} (an array, 201). HTTP Basic, 401 without it.
 */
final class OpenSrpApi implements ResponseDefinitionTransformerV2 {
    static final String NAME = "opensrp-api";

    private final EventStore events;
    private final TaskStore tasks;
    // PractitionerService: one practitioner per identifier, a save replaces it
    private final Map<String, ObjectNode> practitioners;
    private final String contextPath;
    private final String basic;

    OpenSrpApi(EventStore events, TaskStore tasks, Map<String, ObjectNode> practitioners, String contextPath, String user, String password) {
        this.events = events;
        this.tasks = tasks;
        this.practitioners = practitioners;
        this.contextPath = contextPath;
        this.basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String getName() { return NAME; }

    @Override
    public boolean applyGlobally() { return false; }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        Request req = serveEvent.getRequest();
        if (!basic.equals(req.getHeader("Authorization"))) {
            return new ResponseDefinitionBuilder().withStatus(401).withHeader("WWW-Authenticate", "Basic realm=\"OpenSRP\"").build();
        }
        String path = req.getUrl().split("\\?")[0].substring(contextPath.length());
        String method = req.getMethod().getName();
        if (method.equals("POST") && path.equals("/rest/event/add")) return add(req);
        if (method.equals("GET") && path.equals("/rest/event/findById")) return findById(req);
        if (method.equals("GET") && path.equals("/rest/event/sync")) return eventSync(req);
        if (method.equals("GET") && path.equals("/rest/client/search")) return clientSearch(req);
        if (method.equals("GET") && path.startsWith("/rest/client/") && path.indexOf('/', "/rest/client/".length()) < 0) {
            return clientById(path.substring("/rest/client/".length()));
        }
        if (method.equals("POST") && path.equals("/rest/task/update_status")) return updateStatus(req);
        if (method.equals("POST") && path.equals("/rest/task/sync")) return sync(req);
        if (method.equals("POST") && path.equals("/rest/task/add")) return addTasks(req);
        if ((method.equals("POST") || method.equals("PUT")) && path.equals("/rest/task")) return saveTask(req, 201);
        if (method.equals("GET") && path.startsWith("/rest/task/")) return task(path.substring("/rest/task/".length()));
        if (path.equals("/rest/practitioner") || path.startsWith("/rest/practitioner/")) return practitioner(method, path.substring("/rest/practitioner".length()), req);
        return new ResponseDefinitionBuilder().withStatus(404).build();
    }

    private ResponseDefinition add(Request req) {
        JsonNode body;
        try {
            body = Json.parse(req.getBodyAsString());
        } catch (RuntimeException e) {
            return new ResponseDefinitionBuilder().withStatus(500).build(); // the controller's catch-all
        }
        if (!body.has("clients") && !body.has("events")) return new ResponseDefinitionBuilder().withStatus(400).build();
        // like the real server: a client or event it cannot save is logged and skipped, the answer is still 201
        for (JsonNode c : body.path("clients")) {
            if (!c.isObject() || !c.hasNonNull("baseEntityId")) continue;
            try {
                events.addOrUpdateClient((ObjectNode) c);
            } catch (IllegalArgumentException e) {
                // skipped and logged, as the server does
            }
        }
        for (JsonNode e : body.path("events")) {
            if (e.isObject()) events.addOrUpdate((ObjectNode) e);
        }
        return new ResponseDefinitionBuilder().withStatus(201).build();
    }

    /**
     * ClientResource.search with {@code identifier}: {@code [clientService.find(identifier)]}, which is {@code [null]}
     * when no client has it (the controller wraps the lookup's null in a list); two clients with it -> 500.
     */
    private ResponseDefinition clientSearch(Request req) {
        var identifier = req.queryParameter("identifier");
        if (!identifier.isPresent() || identifier.firstValue().isBlank()) {
            ArrayNode all = Json.array();
            events.allClients().forEach(all::add);
            return json(200, Json.write(all));
        }
        try {
            ArrayNode one = Json.array();
            one.add(events.findClient(identifier.firstValue()).map(c -> (JsonNode) c).orElse(NullNode.getInstance()));
            return json(200, Json.write(one));
        } catch (IllegalArgumentException e) {
            return new ResponseDefinitionBuilder().withStatus(500).build();
        }
    }

    /** RestResource.getById: the client whose baseEntityId or identifier this is, or {@code null}. */
    private ResponseDefinition clientById(String uniqueId) {
        try {
            return json(200, events.findClient(uniqueId).map(Json::write).orElse("null"));
        } catch (IllegalArgumentException e) {
            return new ResponseDefinitionBuilder().withStatus(500).build();
        }
    }

    private ResponseDefinition findById(Request req) {
        var id = req.queryParameter("id");
        var found = id.isPresent() ? events.byId(id.firstValue()) : Optional.<ObjectNode>empty();
        return new ResponseDefinitionBuilder().withStatus(200).withHeader("Content-Type", "application/json;charset=UTF-8")
                .withBody(found.map(Json::write).orElse("")).build();
    }

    /** The filters EventResource.sync reads, by request parameter name (= the event field they match). */
    private static final List<String> SYNC_FILTERS = List.of("providerId", "locationId", "baseEntityId", "team", "teamId");

    private ResponseDefinition eventSync(Request req) {
        List<EventStore.Filter> filters = new ArrayList<>();
        for (String name : SYNC_FILTERS) {
            var p = req.queryParameter(name);
            if (p.isPresent() && !p.firstValue().isBlank()) filters.add(new EventStore.Filter(name, List.of(p.firstValue().split(","))));
        }
        if (filters.isEmpty()) return json(400, "{\"msg\":\"specify atleast one filter\"}");
        long from;
        int limit;
        try {
            var sv = req.queryParameter("serverVersion");
            // the controller asks for serverVersion + 1: what the client has is not sent again
            from = sv.isPresent() ? Long.parseLong(sv.firstValue()) + 1 : 0;
            var l = req.queryParameter("limit");
            limit = l.isPresent() ? Integer.parseInt(l.firstValue()) : 0;
        } catch (NumberFormatException e) {
            return json(500, "{\"msg\":\"Error occurred\"}"); // the controller's catch-all
        }
        List<ObjectNode> found = events.sync(filters, from, limit == 0 ? 25 : limit);
        List<String> entities = found.stream().map(e -> e.path("baseEntityId").asText("")).filter(s -> !s.isEmpty()).distinct().toList();
        ObjectNode answer = Json.object();
        found.forEach(answer.putArray("events")::add);
        events.clients(entities).forEach(answer.putArray("clients")::add);
        answer.put("no_of_events", found.size());
        return json(200, Json.write(answer));
    }

    private ResponseDefinition practitioner(String method, String rest, Request req) {
        synchronized (practitioners) {
            if (method.equals("GET") && rest.isEmpty()) {
                ArrayNode all = Json.array();
                practitioners.values().forEach(p -> all.add(p.deepCopy()));
                return json(200, Json.write(all));
            }
            if (method.equals("GET")) {
                ObjectNode p = practitioners.get(rest.substring(1));
                return json(200, p == null ? "null" : Json.write(p)); // gson.toJson(null)
            }
            if ((method.equals("POST") || method.equals("PUT")) && rest.isEmpty()) {
                JsonNode body = parsedOrNull(req);
                if (body == null || !body.isObject()) return new ResponseDefinitionBuilder().withStatus(400).build();
                // PractitionerService.addOrUpdatePractitioner: IllegalArgumentException -> 400 with its message
                if (!body.hasNonNull("identifier")) return new ResponseDefinitionBuilder().withStatus(400).withBody("Identifier not specified").build();
                practitioners.put(body.get("identifier").asText(), (ObjectNode) body.deepCopy());
                return new ResponseDefinitionBuilder().withStatus(201).build();
            }
            if (method.equals("POST") && rest.equals("/add")) {
                JsonNode body = parsedOrNull(req);
                if (body == null || !body.isArray()) return new ResponseDefinitionBuilder().withStatus(400).build();
                List<String> unprocessed = new ArrayList<>();
                for (JsonNode p : body) {
                    if (p.isObject() && p.hasNonNull("identifier")) practitioners.put(p.get("identifier").asText(), (ObjectNode) p.deepCopy());
                    else unprocessed.add(String.valueOf(p.path("identifier").asText(null)));
                }
                return new ResponseDefinitionBuilder().withStatus(201)
                        .withBody(unprocessed.isEmpty() ? "All Practitioners  processed" : "Practitioners Ids not processed: " + String.join(",", unprocessed)).build();
            }
        }
        return new ResponseDefinitionBuilder().withStatus(405).build();
    }

    private ResponseDefinition updateStatus(Request req) {
        JsonNode body = parsedOrNull(req);
        if (body == null || !body.isArray()) return new ResponseDefinitionBuilder().withStatus(400).build();
        List<String> updated = new ArrayList<>();
        for (JsonNode u : body) {
            String id = u.path("identifier").asText(null);
            if (id != null && tasks.updateStatus(id, u.path("status").asText(null), u.path("businessStatus").asText(null))) updated.add(id);
        }
        if (updated.isEmpty()) return new ResponseDefinitionBuilder().withStatus(400).build();
        ObjectNode answer = Json.object();
        updated.forEach(answer.putArray("task_ids")::add);
        return json(200, Json.write(answer));
    }

    private ResponseDefinition sync(Request req) {
        JsonNode body = parsedOrNull(req);
        if (body == null) return new ResponseDefinitionBuilder().withStatus(400).build();
        String owner = body.path("owner").asText(null);
        List<String> plans = texts(body.path("plan"));
        List<String> groups = texts(body.path("group"));
        if (owner == null && (plans.isEmpty() || groups.isEmpty())) return new ResponseDefinitionBuilder().withStatus(400).build();
        ArrayNode out = Json.array();
        tasks.sync(plans, groups, owner, body.path("serverVersion").asLong(0)).forEach(out::add);
        return json(200, Json.write(out));
    }

    private ResponseDefinition addTasks(Request req) {
        JsonNode body = parsedOrNull(req);
        if (body == null || !body.isArray()) return new ResponseDefinitionBuilder().withStatus(400).build();
        for (JsonNode t : body) {
            if (t.isObject() && t.hasNonNull("identifier")) tasks.save((ObjectNode) t);
        }
        return new ResponseDefinitionBuilder().withStatus(201).build();
    }

    private ResponseDefinition saveTask(Request req, int status) {
        JsonNode body = parsedOrNull(req);
        if (body == null || !body.isObject() || !body.hasNonNull("identifier")) return new ResponseDefinitionBuilder().withStatus(400).build();
        tasks.save((ObjectNode) body);
        return new ResponseDefinitionBuilder().withStatus(status).build();
    }

    private ResponseDefinition task(String identifier) {
        return tasks.byIdentifier(identifier).map(t -> json(200, Json.write(t)))
                .orElseGet(() -> new ResponseDefinitionBuilder().withStatus(204).build());
    }

    /** The JSON body, or null when it is not JSON: TaskResource's JsonSyntaxException answers 400. */
    private static JsonNode parsedOrNull(Request req) {
        try {
            return Json.parse(req.getBodyAsString());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static ResponseDefinition json(int status, String body) {
        return new ResponseDefinitionBuilder().withStatus(status).withHeader("Content-Type", "application/json;charset=UTF-8").withBody(body).build();
    }
}
