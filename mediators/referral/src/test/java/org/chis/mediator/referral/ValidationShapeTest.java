package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;

/** Referrals that differ only in plainly valid values share a shape; anything the R4 rules could tell apart does not. */
class ValidationShapeTest {
    private final ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
    private final Instant authored = Instant.parse("2024-03-15T09:10:00.123Z");

    private Referral referral(String id, String given, String gender, String birthDate, String reason, Instant at) {
        return new Referral(id, "commcare", "case-" + id, "P-" + id, given, "Kamara", gender, birthDate, "+23276123456", reason,
                List.of("convulsions"), "urgent", "ngelehun-chc", "chw-" + id, "CHW " + id, at, "Sick Child", null);
    }

    private String task(Referral r, String patient, String sr) {
        return ValidationShape.of(ReferralResources.task(r, c, patient, sr, r.authoredOn().plusSeconds(86400)));
    }

    @Test
    void plainValuesCountByKindNotByContent() {
        Referral a = referral("4f1c-aa", "Aminata", "female", "2019-04-02", "Fever", authored);
        Referral b = referral("77-b-c9", "Fatmata", "female", "1988-12-31", "Cough for two weeks", authored.plusSeconds(3600));
        assertThat(ValidationShape.of(ReferralResources.patient(a, c))).isEqualTo(ValidationShape.of(ReferralResources.patient(b, c)));
        assertThat(ValidationShape.of(ReferralResources.serviceRequest(a, c, "Patient/12")))
                .isEqualTo(ValidationShape.of(ReferralResources.serviceRequest(b, c, "Patient/pending")));
        assertThat(task(a, "Patient/1", "ServiceRequest/2")).isEqualTo(task(b, "Patient/345", "ServiceRequest/x-9"));
    }

    @Test
    void whatTheRulesCanSeeIsKept() {
        Referral good = referral("r1", "Aminata", "female", "2019-04-02", "Fever", authored);
        String patient = ValidationShape.of(ReferralResources.patient(good, c));
        // a bound code, a date that is no date, a date of another precision, texts that are not plain
        assertThat(ValidationShape.of(ReferralResources.patient(referral("r1", "Aminata", "f", "2019-04-02", "Fever", authored), c))).isNotEqualTo(patient);
        assertThat(ValidationShape.of(ReferralResources.patient(referral("r1", "Aminata", "female", "2019-02-30", "Fever", authored), c))).isNotEqualTo(patient);
        assertThat(ValidationShape.of(ReferralResources.patient(referral("r1", "Aminata", "female", "02/04/2019", "Fever", authored), c))).isNotEqualTo(patient);
        assertThat(ValidationShape.of(ReferralResources.patient(referral("r1", "Aminata", "female", "2019-04", "Fever", authored), c))).isNotEqualTo(patient);
        assertThat(ValidationShape.of(ReferralResources.patient(referral("r1", "Aminata", "female", "1066-10-14", "Fever", authored), c))).isNotEqualTo(patient);
        String sr = ValidationShape.of(ReferralResources.serviceRequest(good, c, "Patient/1"));
        for (String odd : List.of("Fever ", "Fever  high", "Fever\thigh", "<b>Fever</b>", "Fever\u0001")) {
            assertThat(ValidationShape.of(ReferralResources.serviceRequest(referral("r1", "Aminata", "female", "2019-04-02", odd, authored), c, "Patient/1")))
                    .as(odd).isNotEqualTo(sr);
        }
        assertThat(ValidationShape.of(ReferralResources.serviceRequest(good, c, "Group/1"))).isNotEqualTo(sr);
        assertThat(ValidationShape.of(ReferralResources.serviceRequest(good, c, "Patient/not an id"))).isNotEqualTo(sr);
    }

    @Test
    void dateTimesCountByHowTheyCompare() {
        Referral r = referral("r1", "Aminata", "female", "2019-04-02", "Fever", authored);
        ObjectNode task = ReferralResources.task(r, c, "Patient/1", "ServiceRequest/2", authored.plusSeconds(86400));
        task.put("lastModified", "2024-03-15T09:30:00.500Z"); // after authoredOn (09:10:00.123), before the deadline
        String inOrder = ValidationShape.of(task);
        ObjectNode later = task.deepCopy();
        later.put("lastModified", "2024-03-15T09:40:00.500Z"); // each comparison as before
        assertThat(ValidationShape.of(later)).isEqualTo(inOrder);
        ObjectNode before = task.deepCopy();
        before.put("lastModified", "2024-03-15T09:00:00.500Z"); // Task inv-1: before authoredOn
        assertThat(ValidationShape.of(before)).isNotEqualTo(inOrder);
        ObjectNode coarser = task.deepCopy();
        coarser.put("lastModified", "2024-03-15T09:30:00Z"); // another precision, each comparison as before
        assertThat(ValidationShape.of(coarser)).isEqualTo(inOrder);
        ObjectNode unknown = task.deepCopy();
        unknown.put("lastModified", "2024-03-15T09:10:00Z"); // = authoredOn (09:10:00.123) to the second: FHIRPath cannot tell
        assertThat(ValidationShape.of(unknown)).isNotEqualTo(inOrder);
        ObjectNode offset = task.deepCopy();
        offset.put("lastModified", "2024-03-15T09:30:00.500+03:00"); // 06:30Z: before authoredOn
        assertThat(ValidationShape.of(offset)).isNotEqualTo(inOrder);
    }

    @Test
    void otherResourceTypesKeepEveryValue() {
        assertThat(ValidationShape.of(Json.parse("{\"resourceType\":\"Observation\",\"id\":\"1\"}")))
                .isNotEqualTo(ValidationShape.of(Json.parse("{\"resourceType\":\"Observation\",\"id\":\"2\"}")));
    }
}
