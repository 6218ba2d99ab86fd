package org.chis.simulators.commcare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The cases and forms of one project space, processed the way HQ processes case blocks: a form's blocks are
 * checked first and applied all together (a bad block rejects the whole form, nothing is written), a
 * resubmitted instanceID is acknowledged and ignored. Not thread safe: the simulator locks around it.
 */
final class CaseStore {
    static final String CASE_XMLNS = "http://commcarehq.org/case/transaction/v2";
    static final String CASE_API_XMLNS = "http://commcarehq.org/case_api";
    static final String META_XMLNS = "http://openrosa.org/jr/xforms";
    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
    private static final Set<String> RESERVED = Set.of("case_id", "case_type", "case_name", "owner_id",
            "external_id", "date_opened", "closed", "date_closed", "user_id", "modified_on", "server_modified_on");

    /** HQ's answer to a rejected submission (422 processing_failure / 500 submit_error). */
    static final class Rejection extends RuntimeException {
        final int status;
        final String nature;

        Rejection(int status, String nature, String message) {
            super(message);
            this.status = status;
            this.nature = nature;
        }
    }

    /** Case API v2 error: HTTP status + {@code {"error": message}}. */
    static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    static final class StoredCase {
        final String caseId;
        String caseType;
        String caseName;
        String externalId;
        String ownerId;
        /** The user of the last form that touched the case (Case API v0.5 {@code user_id}), not the owner. */
        String lastUserId;
        Instant dateOpened;
        Instant lastModified;
        Instant serverLastModified;
        long indexedOn; // HQ orders the v2 list by indexed_on; a sequence number keeps our cursor stable
        boolean closed;
        Instant dateClosed;
        final Map<String, String> properties = new LinkedHashMap<>();
        final Map<String, String[]> indices = new LinkedHashMap<>(); // name -> {case_id, case_type, relationship}
        final List<String> xformIds = new ArrayList<>();

        StoredCase(String caseId) { this.caseId = caseId; }
    }

    final String domain;
    final Map<String, StoredCase> cases = new LinkedHashMap<>();
    final Map<String, SubmittedForm> forms = new LinkedHashMap<>();
    private long sequence;
    boolean keepXml = true;

    CaseStore(String domain) { this.domain = domain; }

    void clear() {
        cases.clear();
        forms.clear();
        sequence = 0;
    }

    // ------------------------------------------------------------------ form processing

    /** Processes a parsed XForm; returns true when new, false for a duplicate instanceID (HQ accepts and ignores it). */
    boolean submit(Element root, String rawXml, String appId) {
        String instanceId = meta(root, "instanceID");
        if (instanceId == null || instanceId.isBlank()) {
            throw new Rejection(422, "processing_failure", "InvalidSubmissionFileExtensionError: form has no meta/instanceID");
        }
        if (forms.containsKey(instanceId)) return false;
        List<Element> blocks = new ArrayList<>();
        collectCases(root, blocks);
        Instant now = Instant.now();
        // validate every block before changing anything: HQ saves a form and its case changes atomically
        Map<String, Boolean> willExist = new LinkedHashMap<>();
        for (Element b : blocks) {
            String caseId = b.getAttribute("case_id");
            if (caseId.isBlank()) throw new Rejection(422, "processing_failure", "IllegalCaseId: case_id must not be empty");
            Element create = child(b, "create");
            boolean exists = willExist.containsKey(caseId) || cases.containsKey(caseId);
            if (create == null && !exists) {
                // HQ's CaseNotFound for an update of an unknown case from an integration (no create block)
                throw new Rejection(422, "processing_failure", "IllegalCaseId: No case with id " + caseId + " exists in project " + domain);
            }
            if (create != null) {
                if (text(create, "case_type") == null || text(create, "case_type").isBlank()) {
                    throw new Rejection(422, "processing_failure", "CaseGenerationException: case " + caseId + " create block has no case_type");
                }
            }
            Element update = child(b, "update");
            if (update != null) {
                for (Element p : children(update)) {
                    if (!XML_NAME.matcher(p.getLocalName()).matches()) {
                        throw new Rejection(422, "processing_failure", "CaseValueError: bad case property name " + p.getLocalName());
                    }
                }
            }
            willExist.put(caseId, true);
        }
        List<String> touched = new ArrayList<>();
        for (Element b : blocks) {
            StoredCase c = apply(b, instanceId, now);
            if (!touched.contains(c.caseId)) touched.add(c.caseId);
        }
        String xmlns = root.getNamespaceURI();
        forms.put(instanceId, new SubmittedForm(instanceId, xmlns, root.getAttribute("name"), appId, meta(root, "deviceID"),
                meta(root, "userID"), meta(root, "username"), now, List.copyOf(touched), keepXml ? rawXml : null));
        return true;
    }

    private StoredCase apply(Element b, String xformId, Instant now) {
        String caseId = b.getAttribute("case_id");
        Instant modified = instant(b.getAttribute("date_modified"), now);
        StoredCase c = cases.get(caseId);
        Element create = child(b, "create");
        if (c == null) {
            c = new StoredCase(caseId);
            c.dateOpened = modified;
            cases.put(caseId, c);
        }
        if (create != null) {
            c.caseType = text(create, "case_type");
            String name = text(create, "case_name");
            if (name != null) c.caseName = name;
            String owner = text(create, "owner_id");
            c.ownerId = owner != null && !owner.isBlank() ? owner : b.getAttribute("user_id");
        }
        Element update = child(b, "update");
        if (update != null) {
            for (Element p : children(update)) {
                String v = p.getTextContent();
                switch (p.getLocalName()) {
                    case "case_name" -> c.caseName = v;
                    case "case_type" -> c.caseType = v;
                    case "owner_id" -> c.ownerId = v;
                    case "external_id" -> c.externalId = v == null || v.isEmpty() ? null : v;
                    case "date_opened" -> c.dateOpened = instant(v, c.dateOpened);
                    default -> c.properties.put(p.getLocalName(), v);
                }
            }
        }
        Element index = child(b, "index");
        if (index != null) {
            for (Element i : children(index)) {
                String target = i.getTextContent() == null ? "" : i.getTextContent().trim();
                if (target.isEmpty()) c.indices.remove(i.getLocalName());
                else c.indices.put(i.getLocalName(), new String[] {target, i.getAttribute("case_type"),
                        i.getAttribute("relationship").isBlank() ? "child" : i.getAttribute("relationship")});
            }
        }
        if (child(b, "close") != null) {
            c.closed = true;
            c.dateClosed = modified;
        }
        if (!b.getAttribute("user_id").isBlank()) c.lastUserId = b.getAttribute("user_id");
        c.lastModified = modified;
        c.serverLastModified = now;
        c.indexedOn = ++sequence;
        c.xformIds.add(xformId);
        return c;
    }

    // ------------------------------------------------------------------ Case API v2 writes (JSON -> case block semantics)

    /** {@code POST v2/} or upsert: validates like HQ's case API and applies as a form with xmlns case_api. */
    ObjectNode apiWrite(JsonNode body, String existingCaseId, String externalIdForUpsert) {
        if (!body.isObject()) throw new ApiError(400, "Payload must be a single JSON object");
        StoredCase existing = existingCaseId == null ? null : cases.get(existingCaseId);
        if (existingCaseId != null && existing == null && externalIdForUpsert == null) throw new ApiError(404, "Case '" + existingCaseId + "' not found");
        boolean create = existing == null;
        for (String f : List.of("case_type", "case_name", "owner_id")) {
            if (create && (!body.hasNonNull(f) || body.get(f).asText().isBlank())) throw new ApiError(400, "Property " + f + " is required when creating a case");
        }
        if (create && body.hasNonNull("case_id")) throw new ApiError(400, "You cannot specify case_id when creating a new case");
        Map<String, String> props = new LinkedHashMap<>();
        JsonNode p = body.path("properties");
        if (!p.isMissingNode() && !p.isObject()) throw new ApiError(400, "'properties' must be a JSON object");
        var it = p.fields();
        while (it.hasNext()) {
            var f = it.next();
            if (!XML_NAME.matcher(f.getKey()).matches() || RESERVED.contains(f.getKey())) {
                throw new ApiError(400, "Error with case property '" + f.getKey() + "'. Case property names must be valid XML identifiers.");
            }
            if (!f.getValue().isTextual() && !f.getValue().isNull()) {
                throw new ApiError(400, "Error with case property '" + f.getKey() + "'. Values must be strings, got '" + f.getValue() + "'");
            }
            props.put(f.getKey(), f.getValue().isNull() ? "" : f.getValue().asText());
        }
        Instant now = Instant.now();
        String xformId = UUID.randomUUID().toString();
        StoredCase c = existing;
        if (c == null) {
            c = new StoredCase(UUID.randomUUID().toString());
            c.dateOpened = now;
            cases.put(c.caseId, c);
        }
        if (body.hasNonNull("case_type")) c.caseType = body.get("case_type").asText();
        if (body.hasNonNull("case_name")) c.caseName = body.get("case_name").asText();
        if (body.hasNonNull("owner_id")) c.ownerId = body.get("owner_id").asText();
        if (externalIdForUpsert != null) c.externalId = externalIdForUpsert;
        if (body.hasNonNull("external_id")) c.externalId = body.get("external_id").asText();
        c.properties.putAll(props);
        var idx = body.path("indices").fields();
        while (idx.hasNext()) {
            var f = idx.next();
            String target = f.getValue().path("case_id").asText(null);
            if (target == null && f.getValue().hasNonNull("external_id")) {
                target = cases.values().stream().filter(x -> f.getValue().get("external_id").asText().equals(x.externalId))
                        .map(x -> x.caseId).findFirst()
                        .orElseThrow(() -> new ApiError(400, "Could not find a case with external_id '" + f.getValue().get("external_id").asText() + "'"));
            }
            c.indices.put(f.getKey(), new String[] {target, f.getValue().path("case_type").asText(""),
                    f.getValue().path("relationship").asText("child")});
        }
        if (body.path("close").asBoolean(false)) {
            c.closed = true;
            c.dateClosed = now;
        }
        c.lastModified = now;
        c.serverLastModified = now;
        c.indexedOn = ++sequence;
        c.xformIds.add(xformId);
        forms.put(xformId, new SubmittedForm(xformId, CASE_API_XMLNS, "Case API", null, null, null, null, now, List.of(c.caseId), null));
        ObjectNode out = Json.object().put("xform_id", xformId);
        out.set("case", rep(c));
        return out;
    }

    // ------------------------------------------------------------------ representations

    /** Case Data API v2 serialisation. */
    ObjectNode rep(StoredCase c) {
        ObjectNode o = Json.object();
        o.put("domain", domain).put("case_id", c.caseId).put("case_type", c.caseType).put("case_name", c.caseName)
                .put("external_id", c.externalId).put("owner_id", c.ownerId)
                .put("date_opened", ts(c.dateOpened)).put("last_modified", ts(c.lastModified))
                .put("server_last_modified", ts(c.serverLastModified)).put("indexed_on", ts(c.serverLastModified))
                .put("closed", c.closed).put("date_closed", ts(c.dateClosed));
        ObjectNode props = o.putObject("properties");
        c.properties.forEach(props::put);
        ObjectNode idx = o.putObject("indices");
        c.indices.forEach((k, v) -> idx.putObject(k).put("case_id", v[0]).put("case_type", v[1]).put("relationship", v[2]));
        return o;
    }

    /** Case API v0.5 serialisation: case_name etc. inside {@code properties}, server dates at top level. */
    ObjectNode repV05(StoredCase c) {
        ObjectNode o = Json.object();
        o.put("case_id", c.caseId).put("id", c.caseId).put("domain", domain).put("closed", c.closed)
                .put("date_closed", ts(c.dateClosed)).put("date_modified", ts(c.lastModified))
                .put("server_date_modified", ts(c.serverLastModified)).put("server_date_opened", ts(c.dateOpened))
                // user_id: who last modified it (HQ: "UUID of the user that last modified the case"); resource_uri is a
                // path without host, as tastypie writes it
                .put("user_id", c.lastUserId).put("resource_uri", "/a/" + domain + "/api/v0.5/case/" + c.caseId + "/");
        ObjectNode p = o.putObject("properties");
        p.put("case_name", c.caseName).put("case_type", c.caseType).put("owner_id", c.ownerId)
                .put("external_id", c.externalId).put("date_opened", ts(c.dateOpened));
        c.properties.forEach(p::put);
        ObjectNode idx = o.putObject("indices");
        c.indices.forEach((k, v) -> idx.putObject(k).put("case_id", v[0]).put("case_type", v[1]).put("relationship", v[2]));
        o.set("xform_ids", Json.MAPPER.valueToTree(c.xformIds));
        return o;
    }

    static String ts(Instant t) {
        // HQ writes microseconds and a Z
        return t == null ? null : t.truncatedTo(ChronoUnit.MICROS).toString();
    }

    // ------------------------------------------------------------------ XML helpers

    private static void collectCases(Element e, List<Element> out) {
        for (Element c : children(e)) {
            if ("case".equals(c.getLocalName()) && CASE_XMLNS.equals(c.getNamespaceURI())) out.add(c);
            else collectCases(c, out);
        }
    }

    private static String meta(Element root, String name) {
        for (Element c : children(root)) {
            if ("meta".equals(c.getLocalName())) {
                String v = text(c, name);
                if (v != null) return v.trim();
            }
        }
        return null;
    }

    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el) out.add(el);
        }
        return out;
    }

    private static Element child(Element e, String localName) {
        for (Element c : children(e)) if (localName.equals(c.getLocalName())) return c;
        return null;
    }

    private static String text(Element e, String localName) {
        Element c = child(e, localName);
        return c == null ? null : c.getTextContent();
    }

    private static Instant instant(String s, Instant fallback) {
        if (s == null || s.isBlank()) return fallback;
        try {
            return OffsetDateTime.parse(s.trim()).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s.trim()).atStartOfDay().toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return fallback;
            }
        }
    }
}
