package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;

/**
 * One inbound item in a common shape: a CommCare form (data-forwarding JSON) or an OpenSRP event. {@code key} is
 * its stable id (form id / event formSubmissionId) used for idempotency; {@code doc} is what mapping paths read:
 * the CommCare form JSON as is, or for OpenSRP {@code {"event":…, "client":…, "obs":{field: value}}}.
 */
record Submission(FormMapping.Source source, String key, String formType, JsonNode doc, CaseCreate caseCreate) {

    /** The create block of the forwarded form's case, if it had one (type, name, owner; to re-create a missing case). */
    record CaseCreate(String caseId, String caseType, String caseName, String ownerId) {}

    /** The ledger key: source-qualified so a CommCare form id and an OpenSRP event id never collide. */
    String ledgerKey() { return source.label + "-form:" + key; }

    static Submission commCare(JsonNode form) {
        if (!form.isObject()) throw new BadInputException("a CommCare form must be a JSON object (data forwarding 'JSON' payload)");
        JsonNode f = form.get("form");
        if (f == null || !f.isObject()) throw new BadInputException("not a CommCare form: no 'form' object (forward forms as JSON)");
        String xmlns = text(f.get("@xmlns"));
        if (xmlns == null) throw new BadInputException("CommCare form has no form.@xmlns");
        String id = text(form.get("id"));
        if (id == null) id = text(f.path("meta").get("instanceID"));
        if (id == null) id = text(form.path("metadata").get("instanceID"));
        if (id == null) throw new BadInputException("CommCare form has no id (top-level 'id' or form.meta.instanceID)");
        return new Submission(FormMapping.Source.COMMCARE, id, xmlns, form, caseCreate(f));
    }

    /** The first case block with a create (forms nest case blocks under groups). */
    private static CaseCreate caseCreate(JsonNode n) {
        if (n.isObject()) {
            JsonNode c = n.get("case");
            if (c != null && c.isObject() && c.has("@case_id") && c.path("create").isObject()) {
                JsonNode cr = c.get("create");
                return new CaseCreate(c.get("@case_id").asText(), text(cr.get("case_type")), text(cr.get("case_name")), text(cr.get("owner_id")));
            }
        }
        if (n.isContainerNode()) {
            for (JsonNode child : n) {
                CaseCreate found = caseCreate(child);
                if (found != null) return found;
            }
        }
        return null;
    }

    /** Events of an OpenSRP sync body ({@code {"clients":[…], "events":[…]}}) or one bare event. */
    static List<Submission> openSrp(JsonNode body) {
        if (!body.isObject()) throw new BadInputException("an OpenSRP body must be an event object or {\"clients\":[…],\"events\":[…]}");
        List<JsonNode> events = new ArrayList<>();
        if (body.has("events")) {
            if (!body.get("events").isArray() || body.get("events").isEmpty()) throw new BadInputException("'events' must be a non-empty array");
            body.get("events").forEach(events::add);
        } else {
            events.add(body);
        }
        List<Submission> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) out.add(openSrpEvent(events.get(i), client(body, events.get(i)), events.size() > 1 ? "events[" + i + "]" : "event"));
        return out;
    }

    private static JsonNode client(JsonNode body, JsonNode event) {
        String entity = text(event.get("baseEntityId"));
        for (JsonNode c : body.path("clients")) if (entity != null && entity.equals(text(c.get("baseEntityId")))) return c;
        return Json.object();
    }

    private static Submission openSrpEvent(JsonNode event, JsonNode client, String where) {
        if (!event.isObject()) throw new BadInputException(where + " must be an object");
        String type = text(event.get("eventType"));
        if (type == null) throw new BadInputException(where + " has no eventType");
        String id = text(event.get("formSubmissionId"));
        if (id == null) id = text(event.get("id"));
        if (id == null) id = text(event.get("_id"));
        if (id == null) throw new BadInputException(where + " has no formSubmissionId (or id)");
        if (text(event.get("baseEntityId")) == null) throw new BadInputException(where + " has no baseEntityId");
        ObjectNode doc = Json.object();
        doc.set("event", event);
        doc.set("client", client);
        ObjectNode obs = doc.putObject("obs");
        for (JsonNode o : event.path("obs")) {
            List<String> values = new ArrayList<>();
            o.path("values").forEach(v -> { if (!v.isNull()) values.add(v.asText()); });
            String joined = String.join(" ", values);
            // reachable by the form field name and by the concept code, as OpenSRP forms name either
            if (text(o.get("formSubmissionField")) != null) obs.put(o.get("formSubmissionField").asText(), joined);
            if (text(o.get("fieldCode")) != null && !obs.has(o.get("fieldCode").asText())) obs.put(o.get("fieldCode").asText(), joined);
        }
        return new Submission(FormMapping.Source.OPENSRP, id, type, doc, null);
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isContainerNode()) return null;
        String s = n.asText().trim();
        return s.isEmpty() ? null : s;
    }
}
