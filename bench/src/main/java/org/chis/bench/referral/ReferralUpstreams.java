package org.chis.bench.referral;

import java.util.Map;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;

/** What a referral benchmark's mediator talks to: OpenMRS, a FHIR server and CommCare HQ, simulated, each answering after the same latency. */
public final class ReferralUpstreams implements AutoCloseable {
    public final OpenMrsSimulator openmrs;
    public final FhirSimulator fhir;
    public final CommCareSimulator hq;

    public ReferralUpstreams(int latencyMs) {
        openmrs = new OpenMrsSimulator(0);
        fhir = new FhirSimulator(0);
        hq = new CommCareSimulator(0);
        hq.keepFormXml(false);
        openmrs.latency(latencyMs);
        fhir.latency(latencyMs);
        hq.latency(latencyMs);
    }

    /**
     * A stand-alone referral mediator's settings against these upstreams, state in {@code dbUrl}, EMR and FHIR
     * outputs: every referral benchmark's.
     */
    public Map<String, String> mediatorSettings(String dbUrl) {
        return MediatorTestSettings.standalone(dbUrl)
                .set("db.poolSize", "20")
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .set("fhir.url", fhir.baseUrl())
                .commCare(hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .set("commcare.pushUserId", CommCareSimulator.MOBILE_WORKER_ID)
                .set("referral.sourcesDir", "sources")
                .set("referral.outputs", "emr,fhir")
                .set("referral.expiry.urgentMinutes", "1440")
                .set("referral.expiry.routineMinutes", "10080")
                .set("emr.identifierType", OpenMrsSimulator.ID_TYPE_OLD)
                .set("emr.location", OpenMrsSimulator.LOCATION_CLINIC)
                .set("emr.encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL)
                .set("emr.concept.reason", OpenMrsSimulator.CONCEPT_REFERRAL_REASON)
                .set("emr.concept.dangerSigns", OpenMrsSimulator.CONCEPT_COMMENT)
                .map();
    }

    /** Forgets the requests each simulator keeps for inspection (a long run would fill the heap with them). */
    public void resetRequests() {
        openmrs.wireMock().resetRequests();
        fhir.wireMock().resetRequests();
        hq.wireMock().resetRequests();
    }

    @Override
    public void close() {
        try (openmrs; fhir; hq) {
            // closed in reverse order, each even when another fails
        }
    }
}
