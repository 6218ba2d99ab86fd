package org.chis.bench.referral;

import java.util.LinkedHashMap;
import java.util.Map;
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

    /** The referral mediator's state database and these upstreams, EMR and FHIR outputs: every referral benchmark's settings. */
    public Map<String, String> mediatorSettings(String dbUrl) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("db.url", dbUrl);
        s.put("db.poolSize", "20");
        s.put("openmrs.url", openmrs.baseUrl());
        s.put("openmrs.user", OpenMrsSimulator.USER);
        s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        s.put("fhir.url", fhir.baseUrl());
        s.put("commcare.url", hq.baseUrl());
        s.put("commcare.domain", CommCareSimulator.DOMAIN);
        s.put("commcare.user", CommCareSimulator.USER);
        s.put("commcare.apiKey", CommCareSimulator.API_KEY);
        s.put("commcare.pushUserId", CommCareSimulator.MOBILE_WORKER_ID);
        s.put("referral.sourcesDir", "sources");
        s.put("referral.outputs", "emr,fhir");
        s.put("referral.expiry.urgentMinutes", "1440");
        s.put("referral.expiry.routineMinutes", "10080");
        s.put("emr.identifierType", OpenMrsSimulator.ID_TYPE_OLD);
        s.put("emr.location", OpenMrsSimulator.LOCATION_CLINIC);
        s.put("emr.encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL);
        s.put("emr.concept.reason", OpenMrsSimulator.CONCEPT_REFERRAL_REASON);
        s.put("emr.concept.dangerSigns", OpenMrsSimulator.CONCEPT_COMMENT);
        return s;
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
