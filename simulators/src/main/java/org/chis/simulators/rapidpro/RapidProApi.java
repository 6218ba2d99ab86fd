package org.chis.simulators.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.QueryParameter;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.chis.common.json.Json;

/** Answers the simulated endpoints the way RapidPro's Django REST framework views do, from {@link RapidProWorkspace}. */
final class RapidProApi implements ResponseDefinitionTransformerV2 {
    static final String NAME = "rapidpro-api";
    static final int MAX_TEXT = 640;
    static final int PAGE_SIZE = 250;
    // RapidPro rejects tel URNs that are not E.164 with a country code
    private static final Pattern TEL = Pattern.compile("\\+[1-9][0-9]{6,14}");
    private static final Pattern URN = Pattern.compile("([a-z]+):(.+)");

    private final RapidProWorkspace workspace;

    RapidProApi(RapidProWorkspace workspace) { this.workspace = workspace; }

    @Override
    public String getName() { return NAME; }

    @Override
    public boolean applyGlobally() { return false; }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        Request req = event.getRequest();
        String auth = req.getHeader("Authorization");
        if (auth == null || auth.isBlank()) {
            return error(401, detail("Authentication credentials were not provided.")).withHeader("WWW-Authenticate", "Token").build();
        }
        if (!auth.equals("Token " + workspace.token())) {
            return error(401, detail("Invalid token")).withHeader("WWW-Authenticate", "Token").build();
        }
        int wait = workspace.takeThrottle();
        if (wait >= 0) {
            // Django REST framework's Throttled: 429, the wait in the detail and in Retry-After
            return error(429, detail("Request was throttled. Expected available in " + wait + (wait == 1 ? " second." : " seconds.")))
                    .withHeader("Retry-After", String.valueOf(wait)).build();
        }
        String path = req.getUrl().split("\\?")[0];
        boolean post = req.getMethod().getName().equals("POST");
        try {
            return switch (path) {
                case "/api/v2/broadcasts.json" -> post ? sendBroadcast(req) : listBroadcasts(req);
                case "/api/v2/contacts.json" -> post ? createContact(req) : listContacts(req);
                default -> error(404, detail("Not found.")).build();
            };
        } catch (BadRequest e) {
            return error(400, e.body).build();
        }
    }

    private ResponseDefinition sendBroadcast(Request req) {
        JsonNode body = parse(req);
        ObjectNode errors = Json.object();
        List<String> urns = new ArrayList<>();
        JsonNode urnNode = body.path("urns");
        if (!urnNode.isMissingNode() && !urnNode.isNull()) {
            if (!urnNode.isArray()) errors.putArray("urns").add("Expected a list of items but got type \"" + type(urnNode) + "\".");
            else if (urnNode.size() > 100) errors.putArray("urns").add("Ensure this field has no more than 100 elements.");
            else {
                ObjectNode perItem = Json.object();
                for (int i = 0; i < urnNode.size(); i++) {
                    String urn = urnNode.get(i).asText();
                    String problem = urnProblem(urn);
                    if (problem != null) perItem.putArray(String.valueOf(i)).add(problem);
                    else urns.add(urn);
                }
                if (!perItem.isEmpty()) errors.set("urns", perItem);
            }
        }
        List<String> contacts = new ArrayList<>();
        for (JsonNode c : body.path("contacts")) {
            if (workspace.contactByUuid(c.asText()).isEmpty()) {
                errors.withArray("contacts").add("No such object: " + c.asText());
            } else {
                contacts.add(c.asText());
            }
        }
        ObjectNode text = Json.object();
        JsonNode t = body.path("text");
        String base = body.path("base_language").asText(null);
        if (t.isTextual()) {
            text.put(base == null ? "eng" : base, t.asText());
        } else if (t.isObject()) {
            t.fields().forEachRemaining(e -> text.put(e.getKey(), e.getValue().asText()));
        } else if (!t.isMissingNode() && !t.isNull()) {
            errors.putArray("text").add("Value must be a string or a dict of strings.");
        }
        text.fields().forEachRemaining(e -> {
            if (e.getValue().asText().length() > MAX_TEXT) {
                errors.withArray("text").add("Ensure this field has no more than " + MAX_TEXT + " characters.");
            }
            if (e.getKey().length() != 3) errors.withArray("text").add("Language code " + e.getKey() + " is not valid.");
        });
        if (!errors.isEmpty()) throw new BadRequest(errors);
        if (text.isEmpty()) throw new BadRequest(nonField("Must provide either text or attachments."));
        if (urns.isEmpty() && contacts.isEmpty() && body.path("groups").isEmpty()) {
            throw new BadRequest(nonField("Must provide either urns, contacts or groups."));
        }
        if (base == null) base = text.fieldNames().next();
        if (!text.has(base)) throw new BadRequest(nonField("No text translation provided in base language."));
        ObjectNode created = workspace.addBroadcast(urns, contacts, text, base);
        return json(201, created).build();
    }

    private ResponseDefinition listBroadcasts(Request req) {
        String id = param(req, "id");
        Instant after = time(req, "after");
        Instant before = time(req, "before");
        Predicate<JsonNode> keep = b -> (id == null || b.path("id").asText().equals(id))
                && (after == null || RapidProWorkspace.parseTime(b.path("created_on").asText()).isAfter(after))
                && (before == null || RapidProWorkspace.parseTime(b.path("created_on").asText()).isBefore(before));
        List<JsonNode> all = new ArrayList<>(workspace.broadcasts().stream().filter(keep).toList());
        Collections.reverse(all); // newest first
        return page(req, "/api/v2/broadcasts.json", all);
    }

    private ResponseDefinition listContacts(Request req) {
        String urn = param(req, "urn");
        String uuid = param(req, "uuid");
        List<JsonNode> all = new ArrayList<>(workspace.contacts().stream()
                .filter(c -> uuid == null || c.path("uuid").asText().equals(uuid))
                .filter(c -> {
                    if (urn == null) return true;
                    for (JsonNode u : c.path("urns")) if (u.asText().equalsIgnoreCase(urn)) return true;
                    return false;
                }).toList());
        Collections.reverse(all);
        return page(req, "/api/v2/contacts.json", all);
    }

    private ResponseDefinition createContact(Request req) {
        JsonNode body = parse(req);
        ObjectNode errors = Json.object();
        String language = body.path("language").isTextual() ? body.path("language").asText() : null;
        if (language != null && language.length() != 3) errors.putArray("language").add("Ensure this field has at least 3 characters.");
        List<String> urns = new ArrayList<>();
        for (JsonNode u : body.path("urns")) {
            String problem = urnProblem(u.asText());
            if (problem != null) errors.withArray("urns").add(problem);
            else if (workspace.contactByUrn(u.asText()).isPresent()) errors.withArray("urns").add("URN is in use by another contact.");
            else urns.add(u.asText());
        }
        if (!errors.isEmpty()) throw new BadRequest(errors);
        String uuid = workspace.addContact(body.path("name").asText(null), language, urns);
        return json(201, workspace.contactByUuid(uuid).orElseThrow()).build();
    }

    private static String urnProblem(String urn) {
        var m = URN.matcher(urn);
        if (!m.matches()) return "Invalid URN: " + urn + ". Ensure phone numbers contain country codes.";
        if (m.group(1).equals("tel") && !TEL.matcher(m.group(2)).matches()) {
            return "Invalid URN: " + urn + ". Ensure phone numbers contain country codes.";
        }
        return null;
    }

    /** Cursor paging: the cursor is opaque to clients (here a base64 offset). */
    private static ResponseDefinition page(Request req, String path, List<JsonNode> all) {
        int offset = 0;
        String cursor = param(req, "cursor");
        if (cursor != null) {
            try {
                offset = Integer.parseInt(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                return error(404, detail("Invalid cursor")).build();
            }
        }
        ObjectNode out = Json.object();
        int end = Math.min(all.size(), offset + PAGE_SIZE);
        if (end < all.size()) {
            String next = Base64.getUrlEncoder().encodeToString(String.valueOf(end).getBytes(StandardCharsets.UTF_8));
            out.put("next", req.getAbsoluteUrl().split("\\?")[0].replace(path, "") + path + "?cursor=" + next);
        } else {
            out.putNull("next");
        }
        if (offset > 0) out.put("previous", req.getAbsoluteUrl().split("\\?")[0]);
        else out.putNull("previous");
        ArrayNode results = out.putArray("results");
        for (int i = offset; i < end; i++) results.add(all.get(i));
        return json(200, out).build();
    }

    private static JsonNode parse(Request req) {
        String text = new String(req.getBody(), StandardCharsets.UTF_8);
        try {
            JsonNode n = Json.parse(text);
            if (!n.isObject()) throw new BadRequest(nonField("Invalid data. Expected a dictionary, but got " + type(n) + "."));
            return n;
        } catch (IllegalArgumentException e) {
            throw new BadRequest(detail("JSON parse error - Expecting value: line 1 column 1 (char 0)"));
        }
    }

    private static String type(JsonNode n) {
        return n.isTextual() ? "str" : n.isNumber() ? "int" : n.isArray() ? "list" : n.isBoolean() ? "bool" : "dict";
    }

    private static String param(Request req, String name) {
        QueryParameter p = req.queryParameter(name);
        return p != null && p.isPresent() && !p.firstValue().isBlank() ? p.firstValue() : null;
    }

    private static Instant time(Request req, String name) {
        String v = param(req, name);
        if (v == null) return null;
        try {
            return RapidProWorkspace.parseTime(v);
        } catch (RuntimeException e) {
            throw new BadRequest(detail("Value for " + name + " must be a valid datetime."));
        }
    }

    private static ObjectNode detail(String message) { return Json.object().put("detail", message); }

    private static ObjectNode nonField(String message) {
        ObjectNode o = Json.object();
        o.putArray("non_field_errors").add(message);
        return o;
    }

    private static ResponseDefinitionBuilder json(int status, JsonNode body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "application/json")
                .withHeader("Allow", "GET, POST, HEAD, OPTIONS")
                .withBody(Json.write(body));
    }

    private static ResponseDefinitionBuilder error(int status, JsonNode body) { return json(status, body); }

    private static final class BadRequest extends RuntimeException {
        final JsonNode body;

        BadRequest(JsonNode body) {
            super(null, null, false, false);
            this.body = body;
        }
    }
}
