package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * Which OpenMRS patients go to CommCare ({@code cohort} in {@code feeds.json}). Every filter given must hold; within
 * one filter any listed uuid will do: {@code locations} (the patient's location, see {@link PatientLocation}),
 * {@code programs} (an active enrollment: not completed, not voided), {@code identifierTypes} (a non-voided
 * identifier of that type), {@code cohorts} (a current member of that OpenMRS cohort; memberships are read whole and
 * kept {@code cohortRefreshSeconds}). No {@code cohort}: every patient.
 */
public record CohortFilter(List<String> locations, List<String> programs, List<String> identifierTypes, List<String> cohorts,
                           Duration cohortRefresh) {
    static final CohortFilter EVERYONE = new CohortFilter(List.of(), List.of(), List.of(), List.of(), Duration.ofSeconds(60));
    private static final Pattern UUID = Pattern.compile("[0-9A-Za-z-]{8,64}");
    private static final List<String> KEYS = List.of("locations", "programs", "identifierTypes", "cohorts", "cohortRefreshSeconds");

    static CohortFilter read(Node root) {
        Node c = root.object("cohort", false);
        if (c == null) return EVERYONE;
        c.members().keySet().stream().filter(k -> !KEYS.contains(k)).forEach(k -> c.problem(k, "unknown cohort filter (" + String.join(", ", KEYS) + ")"));
        CohortFilter f = new CohortFilter(uuids(c, "locations"), uuids(c, "programs"), uuids(c, "identifierTypes"), uuids(c, "cohorts"),
                Duration.ofSeconds(c.integer("cohortRefreshSeconds", 60)));
        if (f.everyone()) c.problem("names no filter: give locations, programs, identifierTypes or cohorts (or leave cohort out)");
        return f;
    }

    private static List<String> uuids(Node c, String field) {
        List<String> out = c.strings(field);
        for (String u : out) if (!UUID.matcher(u).matches()) c.problem(field, "'" + u + "' is not a uuid");
        if (c.has(field) && out.isEmpty() && c.json().get(field).isArray()) c.problem(field, "is empty: list at least one uuid or leave it out");
        return out;
    }

    /** True when no filter is set: every patient is in. */
    boolean everyone() { return locations.isEmpty() && programs.isEmpty() && identifierTypes.isEmpty() && cohorts.isEmpty(); }
}
