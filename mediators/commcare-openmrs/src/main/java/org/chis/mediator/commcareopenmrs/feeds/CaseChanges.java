package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.chis.common.systems.commcare.CommCareCase;

/**
 * The case property writes that bring a case in line with OpenMRS: per mapped property the conflict policy decides
 * the visible value, and the {@code openmrs_} shadow always gets OpenMRS's value (it is also the base the next
 * comparison uses to tell a CommCare edit from an old OpenMRS value). Empty when nothing differs.
 */
final class CaseChanges {
    private CaseChanges() {}

    /**
     * @param rules   the mapped properties
     * @param remote  OpenMRS's raw value for a rule's {@code from} (null = none); the value map is applied here
     * @param current the case as it is now, null when it does not exist yet
     */
    static Map<String, String> compute(List<FeedMapping.PropertyRule> rules, Function<String, String> remote, CommCareCase current,
                                       Instant openmrsAt) {
        Map<String, String> out = new LinkedHashMap<>();
        for (FeedMapping.PropertyRule rule : rules) {
            String raw = remote.apply(rule.from());
            property(out, rule.property(), raw == null ? "" : rule.caseValue(raw), rule.conflict(), current, openmrsAt);
        }
        return out;
    }

    /** One property (also used for case_name, which the case block carries as an update too). */
    static void property(Map<String, String> out, String property, String remoteValue, ConflictPolicy policy, CommCareCase current,
                         Instant openmrsAt) {
        String shadowName = FeedMapping.SHADOW_PREFIX + property;
        String local = current == null ? null : current.property(property);
        String shadow = current == null ? null : current.property(shadowName);
        String chosen = current == null ? (remoteValue.isEmpty() ? null : remoteValue)
                : policy.resolve(local, shadow, remoteValue, openmrsAt, current.lastModified());
        if (chosen != null) out.put(property, chosen);
        if (!remoteValue.equals(shadow == null ? "" : shadow)) out.put(shadowName, remoteValue);
    }
}
