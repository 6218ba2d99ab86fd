package org.chis.mediator.referral;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.ref.Cleaner;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.chis.common.json.Json;
import org.hl7.fhir.common.hapi.validation.support.CachingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * HAPI FHIR's R4 instance validator (structure, cardinality, value sets of the base spec). Building it loads the
 * whole R4 specification (seconds, ~100 MB), so there is one per JVM, built on first use and shared: the
 * validator is thread-safe; at most one validation per core runs at once.
 * <p>
 * One validation costs milliseconds of CPU and megabytes of garbage, which made it most of a referral's cost. Every
 * referral makes resources of the same few shapes ({@link ValidationShape}), so a shape the validator passed once
 * is valid again without asking it; a resource with errors is always validated, so its messages are the validator's own.
 */
final class FhirValidation {
    /** Enough for every combination of optional fields and formats; beyond it, resources are simply validated. */
    private static final int MAX_SHAPES = 4096;
    private static final Set<String> VALID_SHAPES = ConcurrentHashMap.newKeySet();
    private static final AtomicLong RUNS = new AtomicLong();
    private static final AtomicLong BUILDS = new AtomicLong();
    /**
     * Validations running at once. Each is CPU-bound and leaves megabytes of garbage, so more than one per core adds
     * memory, not speed: eight referrals of new shapes at once (a fresh mediator at c=8) ran the 512 MB heap out.
     */
    private static final Semaphore SLOTS = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);
    /**
     * Held softly while no validation runs: once the shapes are known the validator is seldom needed, and what it holds
     * kept the mediator's heap at ~200 of 256 MB after each full collection (bench cpu-per-unit), so that nearly every
     * collection was a full one. The JVM drops it when memory is short; the next new shape builds it again.
     */
    private static SoftReference<FhirValidator> idle = new SoftReference<>(null);
    /**
     * Held strongly while validations run (guarded by the class lock): a validator dropped under memory pressure while
     * still in use would be rebuilt beside the old one, two copies of the specification in a heap sized for one.
     */
    private static FhirValidator inUse;
    private static int running;
    private static int mostAtOnce;
    /** How a validator is built; tests make it fail. */
    static volatile Supplier<FhirValidator> builder = FhirValidation::build;
    /** Empties HAPI's copy of the specification, which it keeps once per JVM, when the validator that used it is gone. */
    private static final Cleaner CLEANER = Cleaner.create();

    private FhirValidation() {}

    /** The validator, held until {@link #release()}; waits while every slot is taken. */
    static FhirValidator acquire() {
        SLOTS.acquireUninterruptibly();
        try {
            synchronized (FhirValidation.class) {
                if (inUse == null) {
                    FhirValidator v = idle.get();
                    if (v == null) {
                        v = builder.get();
                        idle = new SoftReference<>(v);
                    }
                    inUse = v;
                }
                mostAtOnce = Math.max(mostAtOnce, ++running);
                return inUse;
            }
        } catch (RuntimeException | Error e) {
            SLOTS.release(); // a build that failed (e.g. out of memory) must not keep its slot
            throw e;
        }
    }

    static void release() {
        synchronized (FhirValidation.class) {
            if (--running == 0) inUse = null;
        }
        SLOTS.release();
    }

    static FhirValidator build() {
        BUILDS.incrementAndGet();
        FhirContext ctx = FhirContext.forR4Cached();
        DefaultProfileValidationSupport spec = new DefaultProfileValidationSupport(ctx);
        ValidationSupportChain chain = new ValidationSupportChain(
                spec,
                new CommonCodeSystemsTerminologyService(ctx),
                new InMemoryTerminologyServerValidationSupport(ctx),
                new SnapshotGeneratingValidationSupport(ctx));
        FhirInstanceValidator module = new FhirInstanceValidator(new CachingValidationSupport(chain));
        // our identifier systems and local codes are not in any terminology the validator knows: not an error
        module.setAnyExtensionsAllowed(true);
        module.setErrorForUnknownProfiles(false);
        FhirValidator v = ctx.newValidator().registerValidatorModule(module);
        CLEANER.register(v, spec::flush); // reloaded on demand by the next validator
        return v;
    }

    /**
     * Builds the validator now (e.g. in the background at start) and loads the definitions of the three resource
     * types a referral makes, so the first referrals do not pay for it.
     */
    static void warmUp() {
        check(Json.parse("{\"resourceType\":\"Patient\",\"gender\":\"female\"}"));
        check(Json.parse("{\"resourceType\":\"ServiceRequest\",\"status\":\"active\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/1\"}}"));
        check(Json.parse("{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\"}"));
    }

    /** Error and fatal messages ("Patient.gender: The value provided ('f') is not in the value set ..."); empty = valid. */
    static List<String> check(JsonNode resource) {
        String shape = ValidationShape.of(resource);
        if (VALID_SHAPES.contains(shape)) return List.of();
        List<String> errors = validate(resource);
        if (errors.isEmpty() && VALID_SHAPES.size() < MAX_SHAPES) VALID_SHAPES.add(shape);
        return errors;
    }

    /** How many resources the validator itself has checked (the rest were known shapes). */
    static long validatorRuns() { return RUNS.get(); }

    /** How many times a validator was built (once, unless the JVM dropped an idle one). */
    static long validatorBuilds() { return BUILDS.get(); }

    /** Validations running now. */
    static synchronized int running() { return running; }

    /** The most validations that ran at once. */
    static synchronized int mostAtOnce() { return mostAtOnce; }

    /** Tests: what the JVM does to the idle validator when memory is short. */
    static synchronized void dropIdle() { idle.clear(); }

    private static List<String> validate(JsonNode resource) {
        RUNS.incrementAndGet();
        String text = Json.write(resource);
        ValidationResult r;
        FhirValidator v = acquire();
        try {
            r = v.validateWithResult(text);
        } finally {
            release();
        }
        List<String> errors = new ArrayList<>();
        for (SingleValidationMessage m : r.getMessages()) {
            if (m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL) {
                errors.add(m.getLocationString() + ": " + m.getMessage());
            }
        }
        return errors;
    }
}
