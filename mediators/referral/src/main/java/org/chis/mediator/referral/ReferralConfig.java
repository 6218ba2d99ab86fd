package org.chis.mediator.referral;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;

/**
 * The referral settings (see mediator.properties): which outputs run, identifier systems, expiry windows and the
 * OpenMRS metadata the referral encounter uses. {@link #live} follows them, so a console edit applies to the next request.
 */
record ReferralConfig(boolean emr, boolean fhir, String referralSystem, String patientSystemPrefix, String facilitySystem,
                      String chwSystem, Duration urgentWindow, Duration routineWindow, String emrIdentifierType, String emrLocation,
                      String emrEncounterType, String emrProvider, String emrEncounterRole, String conceptReason,
                      String conceptDangerSigns, String conceptUrgency) {

    /** Every key {@link #of} reads. */
    private static final String[] KEYS = {"referral.outputs", "fhir.system.referral", "fhir.system.patientPrefix", "fhir.system.facility",
            "fhir.system.chw", "referral.expiry.urgentMinutes", "referral.expiry.routineMinutes", "emr.identifierType", "emr.location",
            "emr.encounterType", "emr.provider", "emr.encounterRole", "emr.concept.reason", "emr.concept.dangerSigns", "emr.concept.urgency"};

    /** The settings as they stand, read again when one of them changes. */
    static Supplier<ReferralConfig> live(Settings s) { return s.derived(ReferralConfig::of, KEYS); }

    static ReferralConfig of(Settings s) {
        Set<String> outputs = Arrays.stream(s.get("referral.outputs", "emr,fhir").split(",")).map(String::trim)
                .filter(x -> !x.isEmpty()).collect(Collectors.toSet());
        for (String o : outputs) if (!o.equals("emr") && !o.equals("fhir")) throw new ConfigException("referral.outputs: unknown output '" + o + "' (emr, fhir)");
        if (outputs.isEmpty()) throw new ConfigException("referral.outputs: name at least one of emr, fhir");
        return new ReferralConfig(outputs.contains("emr"), outputs.contains("fhir"),
                s.get("fhir.system.referral", "urn:chis:referral"),
                s.get("fhir.system.patientPrefix", "urn:chis:patient:"),
                s.get("fhir.system.facility", "urn:chis:facility"),
                s.get("fhir.system.chw", "urn:chis:chw"),
                Duration.ofMinutes(s.getLong("referral.expiry.urgentMinutes", 24 * 60)),
                Duration.ofMinutes(s.getLong("referral.expiry.routineMinutes", 7 * 24 * 60)),
                s.get("emr.identifierType", ""), s.get("emr.location", ""), s.get("emr.encounterType", ""),
                s.get("emr.provider", ""), s.get("emr.encounterRole", ""),
                s.get("emr.concept.reason", ""), s.get("emr.concept.dangerSigns", ""), s.get("emr.concept.urgency", ""));
    }

    /** The FHIR Patient identifier system for people of this source, e.g. {@code urn:chis:patient:commcare}. */
    String patientSystem(String source) { return patientSystemPrefix + source; }

    Duration window(Referral r) { return r.urgent() ? urgentWindow : routineWindow; }
}
