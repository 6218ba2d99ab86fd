package org.chis.simulators.cht;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.chis.common.json.Json;

/**
 * Answers like cht-core's API (api/src/controllers people, places, records; server-utils for errors):
 * <ul>
 * <li>{@code POST /api/v1/people}: a person ({@code name} required and a string; {@code type} {@code person}, or
 * {@code contact} with a {@code contact_type}; {@code place} the id of its place, which must exist) -> 200
 * {@code {"id","rev"}}; the person is stored with {@code parent} = the place's lineage. A body with an {@code _id}
 * keeps it (CouchDB's POST), a second one with that id is 409 "Document update conflict.".</li>
 * <li>{@code POST /api/v1/places}: a place ({@code name}, {@code type} clinic / health_center / district_hospital or
 * {@code contact} + {@code contact_type}, {@code parent} the id of an existing place unless a district hospital) -> 200
 * {@code {"id","rev"}}.</li>
 * <li>{@code POST /api/v1/records} and {@code /api/v2/records} with a JSON report: {@code _meta.form} and
 * {@code _meta.from} required, the form must be a configured JSON form ("Form not found: X"); only string and number
 * fields are kept, their names lowercased, in {@code fields}; {@code _meta.reported_date} (ms) becomes
 * {@code reported_date} -> 200 {@code {"success":true,"id"}}.</li>
 * <li>{@code GET /api/v1/person/{id}}, {@code /api/v1/place/{id}}, {@code GET /medic/{id}}: the doc, or 404.</li>
 * </ul>
 * Errors: 400/404/409 with {@code {"code":n,"error":"message"}} when the client accepts JSON, else the message as
 * text/plain; 401 "not logged in" with {@code WWW-Authenticate: Basic realm="Medic Web Services"} without valid Basic auth.
 */
final class ChtApi implements ResponseDefinitionTransformerV2 {
    static final String NAME = "cht-api";
    static final Set<String> PLACE_TYPES = Set.of("clinic", "health_center", "district_hospital");

    private final ChtStore store;
    private final Set<String> forms;
    private final String basic;

    ChtApi(ChtStore store, Set<String> forms, String user, String password) {
        this.store = store;
        this.forms = forms;
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
            return new ResponseDefinitionBuilder().withStatus(401).withHeader("Content-Type", "text/plain")
                    .withHeader("WWW-Authenticate", "Basic realm=\"Medic Web Services\"").withBody("not logged in").build();
        }
        String path = req.getUrl().split("\\?")[0];
        String method = req.getMethod().getName();
        try {
            if (method.equals("POST") && path.equals("/api/v1/people")) return person(req);
            if (method.equals("POST") && path.equals("/api/v1/places")) return place(req);
            if (method.equals("POST") && (path.equals("/api/v1/records") || path.equals("/api/v2/records"))) return record(req);
            if (method.equals("GET") && path.startsWith("/api/v1/person/")) return doc(req, path.substring("/api/v1/person/".length()), ChtStore.Kind.PERSON);
            if (method.equals("GET") && path.startsWith("/api/v1/place/")) return doc(req, path.substring("/api/v1/place/".length()), ChtStore.Kind.PLACE);
            if (method.equals("GET") && path.startsWith("/medic/")) return doc(req, path.substring("/medic/".length()), null);
        } catch (Rejected r) {
            return error(req, r.code, r.getMessage());
        }
        return error(req, 404, "missing");
    }

    private ResponseDefinition person(Request req) {
        ObjectNode p = body(req);
        String type = p.path("type").asText("person");
        if (!type.equals("person") && !(type.equals("contact") && p.hasNonNull("contact_type"))) throw new Rejected(400, "Wrong type, this is not a person.");
        if (!p.has("name")) throw new Rejected(400, "Person is missing a \"name\" property.");
        if (!p.get("name").isTextual()) throw new Rejected(400, "Property \"name\" must be a string.");
        if (p.has("date_of_birth") && !validDate(p.get("date_of_birth").asText())) {
            throw new Rejected(400, "Date of birth is invalid: " + p.get("date_of_birth").asText());
        }
        p.put("type", type);
        if (p.hasNonNull("place")) {
            ObjectNode place = placeDoc(p.get("place").asText());
            p.set("parent", lineage(place));
            p.remove("place");
        }
        reported(p);
        return created(req, p, ChtStore.Kind.PERSON);
    }

    private ResponseDefinition place(Request req) {
        ObjectNode p = body(req);
        String type = p.path("type").asText("");
        boolean typed = PLACE_TYPES.contains(type) || type.equals("contact") && p.hasNonNull("contact_type");
        if (!typed) throw new Rejected(400, "Wrong type, object " + Json.write(p) + " is not a place.");
        if (!p.has("name")) throw new Rejected(400, "Place is missing a \"name\" property.");
        if (!p.get("name").isTextual()) throw new Rejected(400, "Property \"name\" must be a string.");
        if (!type.equals("district_hospital")) {
            if (!p.hasNonNull("parent")) throw new Rejected(400, "Place is missing a \"parent\" property.");
            p.set("parent", lineage(placeDoc(p.get("parent").asText())));
        }
        reported(p);
        return created(req, p, ChtStore.Kind.PLACE);
    }

    private ResponseDefinition record(Request req) {
        String contentType = req.getHeader("Content-Type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new Rejected(400, "Content type not supported.");
        }
        ObjectNode data = body(req);
        JsonNode meta = data.get("_meta");
        if (meta == null || meta.isNull() || meta.isTextual() && meta.asText().isEmpty()) throw new Rejected(400, "Missing _meta property.");
        for (String k : new String[] {"from", "form"}) {
            if (empty(meta.get(k))) throw new Rejected(400, "Missing required field: " + k);
        }
        String form = meta.get("form").asText().toUpperCase(Locale.ROOT);
        String known = forms.stream().filter(f -> f.toUpperCase(Locale.ROOT).equals(form)).findFirst()
                .orElseThrow(() -> new Rejected(400, "Form not found: " + form));
        ObjectNode record = Json.object().put("type", "data_record").put("from", meta.get("from").asText()).put("form", known);
        record.putArray("errors");
        record.put("reported_date", meta.path("reported_date").canConvertToLong() ? meta.get("reported_date").asLong() : Instant.now().toEpochMilli());
        ObjectNode fields = record.putObject("fields");
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            // like createRecordByJSON: only string and number values, names lowercased
            if (f.getKey().equals("_meta") || !(f.getValue().isTextual() || f.getValue().isNumber())) continue;
            fields.set(f.getKey().toLowerCase(Locale.ROOT), f.getValue());
        }
        store.create(record, ChtStore.Kind.REPORT);
        return json(200, Json.object().put("success", true).put("id", record.get("_id").asText()));
    }

    private ResponseDefinition doc(Request req, String id, ChtStore.Kind kind) {
        ObjectNode d = (kind == null ? store.get(id) : store.get(id, kind)).orElseThrow(() -> new Rejected(404,
                kind == null ? "missing" : "Failed to find " + kind.name().toLowerCase(Locale.ROOT) + "."));
        return json(200, d);
    }

    private ObjectNode placeDoc(String id) {
        return store.get(id, ChtStore.Kind.PLACE).orElseThrow(() -> new Rejected(404, "Failed to find place."));
    }

    /** The minified lineage CHT stores as a contact's parent: {@code {_id, parent: {_id, ...}}}. */
    private static ObjectNode lineage(ObjectNode place) {
        ObjectNode out = Json.object().put("_id", place.get("_id").asText());
        if (place.path("parent").isObject()) out.set("parent", place.get("parent"));
        return out;
    }

    private void reported(ObjectNode doc) {
        if (!doc.has("reported_date")) doc.put("reported_date", Instant.now().toEpochMilli());
    }

    private ResponseDefinition created(Request req, ObjectNode doc, ChtStore.Kind kind) {
        if (!store.create(doc, kind)) throw new Rejected(409, "Document update conflict.");
        return json(200, Json.object().put("id", doc.get("_id").asText()).put("rev", doc.get("_rev").asText()));
    }

    private static boolean validDate(String s) {
        try {
            LocalDate.parse(s.length() >= 10 ? s.substring(0, 10) : s);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean empty(JsonNode n) { return n == null || n.isNull() || n.isTextual() && n.asText().isEmpty(); }

    private static ObjectNode body(Request req) {
        JsonNode b;
        try {
            b = Json.parse(req.getBodyAsString());
        } catch (RuntimeException e) {
            // express' JSON body parser
            throw new Rejected(400, "Unexpected token in JSON");
        }
        if (!b.isObject()) throw new Rejected(400, "Request body is empty or Content-Type header was not set to application/json.");
        return (ObjectNode) b;
    }

    /** server-utils' respond: JSON {code, error} for a client that accepts JSON, the message as text otherwise. */
    private static ResponseDefinition error(Request req, int code, String message) {
        String accept = req.getHeader("Accept");
        if (accept != null && accept.contains("json")) return json(code, Json.object().put("code", code).put("error", message));
        return new ResponseDefinitionBuilder().withStatus(code).withHeader("Content-Type", "text/plain").withBody(message).build();
    }

    private static ResponseDefinition json(int status, JsonNode body) {
        return new ResponseDefinitionBuilder().withStatus(status).withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody(Json.write(body)).build();
    }

    static final class Rejected extends RuntimeException {
        final int code;

        Rejected(int code, String message) {
            super(message);
            this.code = code;
        }
    }
}
