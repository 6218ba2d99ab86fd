package org.chis.mediator.commcareopenmrs.feeds;

import java.util.Map;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * Who owns the case made for a new patient: {@code ownerId} (one owner for all), or {@code owner.byLocation}
 * (patient location uuid -> CommCare owner id: a user, group or location id) with an optional {@code owner.default}.
 * A patient whose location has no owner and no default cannot get a case: {@link Unmapped} parks the entry with
 * the reason, so an operator adds the location to the map and the retry creates the case.
 */
public record CaseOwner(Map<String, String> byLocation, String fallback) {

    /** No owner for a patient's location: the entry fails (parked), it is not skipped. */
    public static final class Unmapped extends RuntimeException {
        Unmapped(String patient, String location) {
            super("no CommCare owner for patient " + patient + ": " + (location == null ? "OpenMRS gives no location for the patient"
                    : "location " + location + " is not in feeds.json owner.byLocation") + " and there is no owner.default");
        }
    }

    /** Reads {@code ownerId} or {@code owner} (exactly one of them). */
    static CaseOwner read(Node root) {
        Node owner = root.object("owner", false);
        if (owner == null) {
            if (root.has("owner")) return null; // not an object: already a problem
            return new CaseOwner(Map.of(), root.string("ownerId"));
        }
        if (root.has("ownerId")) root.problem("ownerId", "give either ownerId (one owner) or owner (by location), not both");
        Map<String, String> map = owner.stringMap("byLocation", "of location uuid -> CommCare owner id");
        String fallback = owner.string("default", null);
        if (map.isEmpty() && fallback == null) owner.problem("needs byLocation (location uuid -> owner id) or a default");
        return new CaseOwner(Map.copyOf(map), fallback);
    }

    /** The owner id for a patient at {@code location} (null: unknown); {@link Unmapped} when there is none. */
    public String ownerFor(String patient, String location) {
        String owner = location == null ? null : byLocation.get(location);
        if (owner == null) owner = fallback;
        if (owner == null) throw new Unmapped(patient, location);
        return owner;
    }

    /** True when the owner depends on the patient's location (the location must be read). */
    boolean byPlace() { return !byLocation.isEmpty(); }
}
