package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ca.uhn.fhir.validation.FhirValidator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.chis.common.config.Settings;
import org.junit.jupiter.api.Test;

/** The R4 validator accepts the resources a referral makes and names what is wrong in a bad one. */
class FhirValidationTest {
    static Referral referral(String gender, String birthDate) {
        return new Referral("r-1", "commcare", "case-1", "P-1", "Aminata", "Kamara", gender, birthDate, "+23276123456", "Fever",
                List.of("convulsions"), "urgent", "ngelehun-chc", "chw1", "CHW One", Instant.parse("2024-03-15T09:10:00Z"), "Sick Child", null);
    }

    @Test
    void referralResourcesAreValidAndBadValuesAreNamed() {
        long t0 = System.nanoTime();
        FhirValidation.warmUp();
        long warm = (System.nanoTime() - t0) / 1_000_000;
        ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
        Referral r = referral("female", "2019-04-02");
        Instant exp = Instant.parse("2024-03-16T09:10:00Z");
        long t1 = System.nanoTime();
        assertThat(FhirValidation.check(ReferralResources.patient(r, c))).isEmpty();
        assertThat(FhirValidation.check(ReferralResources.serviceRequest(r, c, "Patient/1"))).isEmpty();
        assertThat(FhirValidation.check(ReferralResources.task(r, c, "Patient/1", "ServiceRequest/2", exp))).isEmpty();
        long first = (System.nanoTime() - t1) / 1_000_000;
        long t2 = System.nanoTime();
        for (int i = 0; i < 20; i++) FhirValidation.check(ReferralResources.task(r, c, "Patient/1", "ServiceRequest/2", exp));
        long each = (System.nanoTime() - t2) / 1_000_000 / 20;
        System.out.println("validator warm-up " + warm + " ms, first three resources " + first + " ms, then " + each + " ms per Task");

        var moved = ReferralResources.moved(ReferralResources.task(r, c, "Patient/1", "ServiceRequest/2", exp), TaskStatus.COMPLETED,
                "complete", "seen and treated", exp);
        assertThat(FhirValidation.check(moved)).isEmpty();

        assertThat(FhirValidation.check(ReferralResources.patient(referral("f", "02/04/2019"), c)))
                .anyMatch(e -> e.contains("gender")).anyMatch(e -> e.contains("birthDate"));
    }

    @Test
    void theValidatorSeesEachShapeOnceAndEveryResourceWithErrors() {
        FhirValidation.warmUp();
        ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
        Instant at = Instant.parse("2024-05-01T08:00:00.250Z");
        Referral first = new Referral("shape-0", "commcare", "case-0", "P-0", "Mariama", "Sesay", "female", "2020-01-31", "+23276000000",
                "Fast breathing", List.of("chest indrawing"), "urgent", "ngelehun-chc", "chw-0", "CHW Zero", at, "Sick Child", null);
        assertThat(FhirValidation.check(ReferralResources.task(first, c, "Patient/1", "ServiceRequest/2", at.plusSeconds(3600)))).isEmpty();
        long runs = FhirValidation.validatorRuns();
        for (int i = 1; i <= 20; i++) {
            Referral r = new Referral("shape-" + i, "commcare", "case-" + i, "P-" + i, "Name" + i, "Family" + i, "female", "2020-01-31",
                    "+2327600000" + i, "Fast breathing " + i, List.of("chest indrawing"), "urgent", "facility-" + i, "chw-" + i, "CHW " + i,
                    at.plusSeconds(60L * i), "Sick Child", null);
            assertThat(FhirValidation.check(ReferralResources.task(r, c, "Patient/" + i, "ServiceRequest/" + (100 + i), at.plusSeconds(3600)))).isEmpty();
        }
        assertThat(FhirValidation.validatorRuns()).isEqualTo(runs); // twenty referrals, no new shape

        // a Task modified before it was authored (inv-1): same fields, another shape, the validator says why
        var backdated = ReferralResources.task(first, c, "Patient/1", "ServiceRequest/2", at.plusSeconds(3600));
        backdated.put("lastModified", "2024-05-01T07:00:00.250Z");
        assertThat(FhirValidation.check(backdated)).anyMatch(e -> e.contains("inv-1"));
        assertThat(FhirValidation.check(backdated)).isNotEmpty(); // errors are never remembered as valid
    }

    /**
     * A fresh mediator taking eight referrals of new shapes at once (names typed with double spaces never match a known
     * shape) ran eight validations side by side and filled its 512 MB heap: full collections back to back, and at
     * 384 MB OutOfMemoryError answers (bench referral-burst). Validations now wait for one of a slot per core.
     */
    @Test
    void atMostOneValidationPerCoreRunsAtOnce() throws Exception {
        FhirValidation.warmUp();
        ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
        long runs = FhirValidation.validatorRuns();
        int threads = 8, each = 3;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    go.await();
                    List<String> errors = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        ObjectNode patient = ReferralResources.patient(referral("female", "2019-04-02"), c);
                        ((ObjectNode) patient.withArray("name").get(0)).withArray("given").set(0, patient.textNode("Ami  nata " + thread + "-" + i));
                        errors.addAll(FhirValidation.check(patient));
                    }
                    return errors;
                }));
            }
            go.countDown();
            for (Future<List<String>> r : results) assertThat(r.get()).isEmpty();
        } finally {
            pool.shutdownNow();
        }
        assertThat(FhirValidation.validatorRuns() - runs).as("every resource a new shape").isEqualTo(threads * each);
        assertThat(FhirValidation.mostAtOnce()).isBetween(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * After this, nothing else validates while a test looks at the validator: a mediator started by an earlier test
     * class may still be warming up in the background, and the warm-up shapes are now all known.
     */
    static void warmUpAndAwaitQuiet() throws InterruptedException {
        FhirValidation.warmUp();
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (FhirValidation.running() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(FhirValidation.running()).as("validations still running").isZero();
    }

    @Test
    void aValidatorInUseIsNeverBuiltASecondTimeAndAnIdleOneMayBeDropped() throws Exception {
        warmUpAndAwaitQuiet();
        long builds = FhirValidation.validatorBuilds();
        FhirValidator inUse = FhirValidation.acquire();
        try {
            FhirValidation.dropIdle(); // what the JVM does to the softly held validator when memory is short
            FhirValidator second = FhirValidation.acquire();
            FhirValidation.release();
            assertThat(second).as("the one in use, not a second copy of the specification").isSameAs(inUse);
        } finally {
            FhirValidation.release();
        }
        assertThat(FhirValidation.validatorBuilds()).isEqualTo(builds);

        // idle and dropped: the next new shape builds it again, and says so
        FhirValidation.dropIdle();
        ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
        ObjectNode patient = ReferralResources.patient(referral("female", "2019-04-02"), c);
        ((ObjectNode) patient.withArray("name").get(0)).put("family", "Ka  mara rebuilt");
        assertThat(FhirValidation.check(patient)).isEmpty();
        assertThat(FhirValidation.validatorBuilds()).isEqualTo(builds + 1);
    }

    @Test
    void aBuildThatFailsGivesItsSlotBack() throws Exception {
        warmUpAndAwaitQuiet();
        ReferralConfig c = ReferralConfig.of(Settings.of(Map.of()));
        FhirValidation.dropIdle();
        FhirValidation.builder = () -> { throw new OutOfMemoryError("Java heap space (test)"); };
        try {
            for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) { // as many as there are slots
                ObjectNode patient = ReferralResources.patient(referral("female", "2019-04-02"), c);
                ((ObjectNode) patient.withArray("name").get(0)).put("family", "Ka  mara failed build " + i);
                assertThatThrownBy(() -> FhirValidation.check(patient)).isInstanceOf(OutOfMemoryError.class);
            }
        } finally {
            FhirValidation.builder = FhirValidation::build;
        }
        // every slot is free again: the next new shape is validated instead of waiting for ever
        ObjectNode patient = ReferralResources.patient(referral("female", "2019-04-02"), c);
        ((ObjectNode) patient.withArray("name").get(0)).put("family", "Ka  mara after the failures");
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> assertThat(FhirValidation.check(patient)).isEmpty());
    }
}
