package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.UpstreamException;
import org.chis.common.systems.openmrs.OpenMrsClient;

/**
 * The cohort filter at work: says whether a patient is in ({@link CohortFilter}), asking OpenMRS for program
 * enrollments ({@code GET /programenrollment?patient=}) and cohort memberships ({@code GET /cohort/{uuid}/membership},
 * every page, kept {@code cohortRefreshSeconds}) only when those filters are set, cheapest checks first.
 */
final class Cohort {
    private record Members(Set<String> patients, Instant readAt) {}

    static final int MEMBERSHIP_PAGE = 100;

    private final CohortFilter filter;
    private final OpenMrsClient openmrs;
    private final Clock clock;
    private final Map<String, Members> members = new HashMap<>();

    Cohort(CohortFilter filter, OpenMrsClient openmrs, Clock clock) {
        this.filter = filter;
        this.openmrs = openmrs;
        this.clock = clock;
    }

    boolean everyone() { return filter.everyone(); }

    /** Why the patient is not in the cohort, or empty when it is. {@code location}: the patient's location (may be null). */
    Optional<String> excludes(TransactionContext tx, OpenMrsPatient patient, String location) {
        if (!filter.locations().isEmpty() && (location == null || !filter.locations().contains(location))) {
            return Optional.of("not in cohort: location " + (location == null ? "unknown" : location) + " is not one of cohort.locations");
        }
        if (!filter.identifierTypes().isEmpty() && filter.identifierTypes().stream().noneMatch(t -> patient.field("identifier:" + t) != null)) {
            return Optional.of("not in cohort: no identifier of cohort.identifierTypes");
        }
        if (!filter.cohorts().isEmpty() && filter.cohorts().stream().noneMatch(c -> membersOf(tx, c).contains(patient.uuid()))) {
            return Optional.of("not in cohort: not a current member of cohort.cohorts");
        }
        if (!filter.programs().isEmpty() && !enrolled(tx, patient.uuid())) {
            return Optional.of("not in cohort: no active enrollment in cohort.programs");
        }
        return Optional.empty();
    }

    private boolean enrolled(TransactionContext tx, String patient) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        for (JsonNode e : openmrs.list(tx, "list program enrollments", "programenrollment", Map.of("patient", patient))) {
            if (e.path("voided").asBoolean(false) || !filter.programs().contains(e.path("program").path("uuid").asText())) continue;
            if (!ended(e.path("dateCompleted"), today)) return true;
        }
        return false;
    }

    // one reader at a time: the lanes of a poll ask together, and one read serves them all
    private synchronized Set<String> membersOf(TransactionContext tx, String cohort) {
        Members m = members.get(cohort);
        if (m != null && m.readAt().plus(filter.cohortRefresh()).isAfter(clock.instant())) return m.patients();
        Set<String> patients = new HashSet<>();
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        for (int start = 0; ; start += MEMBERSHIP_PAGE) {
            List<JsonNode> page = membershipPage(tx, openmrs, cohort, start, MEMBERSHIP_PAGE);
            for (JsonNode ms : page) if (current(ms, today)) patients.add(ms.path("patientUuid").asText());
            if (page.size() < MEMBERSHIP_PAGE) break;
        }
        members.put(cohort, new Members(Set.copyOf(patients), clock.instant()));
        return patients;
    }

    /** One page of a cohort's memberships (OpenMRS 2.1+ CohortMembershipResource); an unknown cohort is an error. */
    static List<JsonNode> membershipPage(TransactionContext tx, OpenMrsClient openmrs, String cohort, int startIndex, int limit) {
        JsonNode body = openmrs.getPath(tx, "list cohort members", "/ws/rest/v1/cohort/" + cohort + "/membership?v=default&startIndex="
                        + startIndex + "&limit=" + limit)
                .orElseThrow(() -> new UpstreamException("OpenMRS has no cohort " + cohort + " (GET cohort/" + cohort + "/membership: 404)", 404));
        return List.copyOf(iterable(body.path("results")));
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    /** A membership that has started and not ended. */
    static boolean current(JsonNode membership, LocalDate today) {
        if (membership.path("voided").asBoolean(false)) return false;
        String start = membership.path("startDate").asText("");
        if (start.length() >= 10 && LocalDate.parse(start.substring(0, 10)).isAfter(today)) return false;
        return !ended(membership.path("endDate"), today);
    }

    private static boolean ended(JsonNode date, LocalDate today) {
        String d = date.isNull() || date.isMissingNode() ? "" : date.asText("");
        return d.length() >= 10 && !LocalDate.parse(d.substring(0, 10)).isAfter(today);
    }
}
