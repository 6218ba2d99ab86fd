package org.chis.simulators;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.chis.simulators.cht.ChtSimulator;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;

/**
 * Starts the upstream simulators on the ports the default mediator.properties point at, for {@code ./suite up}.
 * Ports come from system properties or environment ({@code SIM_OPENMRS_PORT} ...); the defaults are
 * OpenMRS 9081, CommCare 9082, DHIS2 9083, RapidPro 9084, FHIR 9085, CHT 9087. Runs until killed.
 */
public final class SimulatorsMain {
    private SimulatorsMain() {}

    public static void main(String[] args) throws Exception {
        List<AutoCloseable> running = new ArrayList<>();
        OpenMrsSimulator openmrs = new OpenMrsSimulator(port("openmrs", 9081));
        running.add(openmrs);
        print("OpenMRS", openmrs.baseUrl());
        CommCareSimulator commcare = new CommCareSimulator(port("commcare", 9082));
        running.add(commcare);
        print("CommCare", commcare.baseUrl());
        Dhis2Simulator dhis2 = new Dhis2Simulator(port("dhis2", 9083), 1000);
        running.add(dhis2);
        print("DHIS2", dhis2.baseUrl());
        RapidProSimulator rapidpro = new RapidProSimulator(port("rapidpro", 9084));
        running.add(rapidpro);
        print("RapidPro", rapidpro.baseUrl());
        FhirSimulator fhir = new FhirSimulator(port("fhir", 9085));
        running.add(fhir);
        print("FHIR R4", fhir.baseUrl());
        ChtSimulator cht = new ChtSimulator(port("cht", 9087));
        running.add(cht);
        print("CHT", cht.baseUrl());

        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable c : running) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // stopping anyway
                }
            }
            stop.countDown();
        }, "simulators-shutdown"));
        System.out.println("simulators up");
        System.out.flush();
        stop.await();
    }

    private static int port(String system, int fallback) {
        String key = "sim." + system + ".port";
        String v = System.getProperty(key, System.getenv("SIM_" + system.toUpperCase() + "_PORT"));
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
    }

    private static void print(String what, String url) {
        System.out.printf("  %-9s %s%n", what, url);
    }
}
