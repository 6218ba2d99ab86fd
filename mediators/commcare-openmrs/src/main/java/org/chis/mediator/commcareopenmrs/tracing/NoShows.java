package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.fhir.FhirBundle;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.fhir.FhirResource;
import org.chis.common.systems.openmrs.OpenMrsClient;

/**
 * The {@code appointment-noshow} rules' input: {@code GET [fhir]/Appointment?status=noshow&date=ge<today - days>}
 * (every page), each appointment's participant Patient resolved to the OpenMRS patient: by the rule's
 * {@code identifierSystem} (the reference's logical identifier, or the Patient resource's; OpenMRS found by that
 * identifier value) or, without one, the Patient id is the OpenMRS uuid (OpenMRS's FHIR2 module serves patients so).
 * A Patient OpenMRS does not know is passed over.
 */
final class NoShows {
    /** One no-show appointment of a rule: its FHIR id and start. */
    record NoShow(TracingRules.Rule rule, String appointment, OffsetDateTime start) {}

    private final FhirClient fhir;
    private final OpenMrsClient openmrs;
    private final List<TracingRules.Rule> rules;

    NoShows(FhirClient fhir, OpenMrsClient openmrs, List<TracingRules.Rule> rules) {
        this.fhir = fhir;
        this.openmrs = openmrs;
        this.rules = rules.stream().filter(r -> r.kind() == TracingRules.Kind.APPOINTMENT_NOSHOW).toList();
    }

    /** OpenMRS patient uuid -> the no-shows of every appointment rule. */
    Map<String, List<NoShow>> byPatient(TransactionContext tx, Instant now) {
        Map<String, List<NoShow>> out = new HashMap<>();
        Map<String, Optional<String>> resolved = new HashMap<>();
        for (TracingRules.Rule rule : rules) {
            String since = now.minus(Duration.ofDays(rule.days())).atOffset(ZoneOffset.UTC).toLocalDate().toString();
            Optional<FhirBundle> page = Optional.of(fhir.search(tx, "Appointment", "status", "noshow", "date", "ge" + since, "_count", "100"));
            while (page.isPresent()) {
                for (FhirResource a : page.get().resources()) {
                    OffsetDateTime start = start(a.json().path("start").asText(null));
                    if (start == null || !"noshow".equals(a.text("status"))) continue;
                    for (JsonNode p : a.json().path("participant")) {
                        JsonNode actor = p.path("actor");
                        String ref = actor.path("reference").asText("");
                        if (!ref.startsWith("Patient/") && !"Patient".equals(actor.path("type").asText())) continue;
                        String cacheKey = rule.identifierSystem() + "|" + ref + "|" + actor.path("identifier");
                        Optional<String> patient = resolved.computeIfAbsent(cacheKey, k -> patient(tx, rule, actor));
                        patient.ifPresent(uuid -> out.computeIfAbsent(uuid, k -> new ArrayList<>()).add(new NoShow(rule, a.id(), start)));
                    }
                }
                page = fhir.next(tx, page.get());
            }
        }
        return out;
    }

    private Optional<String> patient(TransactionContext tx, TracingRules.Rule rule, JsonNode actor) {
        String ref = actor.path("reference").asText("");
        String id = ref.startsWith("Patient/") ? ref.substring("Patient/".length()).split("/")[0] : null;
        if (rule.identifierSystem() == null) return Optional.ofNullable(id);
        String value = null;
        if (rule.identifierSystem().equals(actor.path("identifier").path("system").asText())) value = actor.path("identifier").path("value").asText(null);
        if (value == null && id != null) value = fhir.read(tx, "Patient", id).map(p -> p.identifier(rule.identifierSystem())).orElse(null);
        if (value == null) return Optional.empty();
        List<JsonNode> found = openmrs.patientsByIdentifier(tx, value);
        // two OpenMRS patients with one identifier: not ours to pick; passed over like an unknown one
        return found.size() == 1 ? Optional.ofNullable(found.get(0).path("uuid").asText(null)) : Optional.empty();
    }

    private static OffsetDateTime start(String s) {
        if (s == null) return null;
        try {
            return OffsetDateTime.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
