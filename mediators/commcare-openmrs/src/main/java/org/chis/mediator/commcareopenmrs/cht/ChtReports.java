package org.chis.mediator.commcareopenmrs.cht;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;

/**
 * {@code POST /cht/reports}: what CHT's outbound push sends (the JSON its {@code outbound.<name>.mapping} makes of a
 * report) -> the forms workflow with the mapping file whose {@code "source": "cht"} and {@code formType} match the
 * payload's form. The payload must carry the doc id ({@code cht.keys.id}, default {@code id}: map {@code doc._id}) and
 * the form ({@code cht.keys.form}, default {@code form}: map {@code doc.form}); the doc id is the idempotency key, so
 * CHT's own retries, OpenHIM's reruns and a second outbound config pushing the same doc write it once.
 */
final class ChtReports {
    static final String PATH = "/cht/reports";

    private final SourceIntake intake;
    private final String idKey;
    private final String formKey;
    private final String revKey;
    private final Set<String> ownForms;
    private final List<String> epochMillisKeys;

    ChtReports(SourceIntake intake, String idKey, String formKey, String revKey, Set<String> ownForms, List<String> epochMillisKeys) {
        this.intake = intake;
        this.idKey = idKey;
        this.formKey = formKey;
        this.revKey = revKey;
        this.ownForms = ownForms.stream().map(f -> f.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.epochMillisKeys = List.copyOf(epochMillisKeys);
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) throws Exception {
        JsonNode body = req.json();
        if (!body.isObject()) throw new BadInputException("a CHT outbound payload must be a JSON object (the outbound config's mapping)");
        String id = text(body.get(idKey));
        String form = text(body.get(formKey));
        if (id == null || form == null) {
            throw new BadInputException("CHT outbound payload has no " + (id == null ? "'" + idKey + "' (map doc._id to it)" : "")
                    + (id == null && form == null ? " and no " : "") + (form == null ? "'" + formKey + "' (map doc.form to it)" : "")
                    + " in the outbound config's mapping; nothing written");
        }
        tx.property("chtDoc", id);
        String rev = text(body.get(revKey));
        if (rev != null) tx.property("chtRev", rev);
        if (ownForms.contains(form.toUpperCase(Locale.ROOT))) {
            // a report the OpenMRS -> CHT feed made, pushed back by an outbound config too wide: it came from OpenMRS
            tx.property("echo", true);
            return MediatorResponse.completed(Json.object().put("echo", true).put("message",
                    "CHT report " + id + " (form " + form + ") was written by the suite's OpenMRS -> CHT sync; nothing written"));
        }
        return intake.cht(tx, id, form, readable((ObjectNode) body.deepCopy()));
    }

    /**
     * CHT dates are ms since 1970 ({@code reported_date}); mapping files read ISO date-times: the configured keys
     * holding a number become an ISO instant (UTC).
     */
    private ObjectNode readable(ObjectNode payload) {
        for (String k : epochMillisKeys) {
            JsonNode v = payload.get(k);
            if (v != null && v.canConvertToLong() && (v.isIntegralNumber() || v.asText().matches("\\d{10,}"))) {
                payload.put(k, Instant.ofEpochMilli(v.asLong()).toString());
            }
        }
        return payload;
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isContainerNode()) return null;
        String s = n.asText().trim();
        return s.isEmpty() ? null : s;
    }
}
