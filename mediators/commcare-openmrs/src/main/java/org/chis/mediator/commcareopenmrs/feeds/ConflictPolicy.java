package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Instant;
import java.util.Locale;

/**
 * Who wins when a case property was edited in CommCare since the last sync and OpenMRS changed it too. A CommCare
 * edit is recognised by comparing the property with its {@code openmrs_} shadow (OpenMRS's value as last synced):
 * equal means nobody touched it in CommCare and OpenMRS's new value is simply taken.
 */
public enum ConflictPolicy {
    OPENMRS_WINS, COMMCARE_WINS, LATEST_WINS;

    public static ConflictPolicy parse(String text) {
        if (text == null || text.isBlank()) return OPENMRS_WINS;
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "openmrs-wins" -> OPENMRS_WINS;
            case "commcare-wins" -> COMMCARE_WINS;
            case "latest-wins" -> LATEST_WINS;
            default -> throw new IllegalArgumentException("unknown conflict policy '" + text + "' (openmrs-wins, commcare-wins, latest-wins)");
        };
    }

    /**
     * The value the case should hold, or null to leave it alone.
     *
     * @param local      the case's value now (null: no case or property absent)
     * @param shadow     the case's {@code openmrs_} shadow: OpenMRS's value at the last sync (null: never synced)
     * @param remote     OpenMRS's value now, as the case stores it
     * @param openmrsAt  when OpenMRS changed it (the feed entry's time)
     * @param commcareAt when the case was last modified
     */
    public String resolve(String local, String shadow, String remote, Instant openmrsAt, Instant commcareAt) {
        String l = local == null ? "" : local;
        if (l.equals(remote)) return null;
        boolean editedInCommCare = shadow == null ? !l.isEmpty() : !l.equals(shadow);
        if (!editedInCommCare) return remote;
        return switch (this) {
            case OPENMRS_WINS -> remote;
            case COMMCARE_WINS -> null;
            case LATEST_WINS -> openmrsAt != null && commcareAt != null && commcareAt.isAfter(openmrsAt) ? null : remote;
        };
    }
}
