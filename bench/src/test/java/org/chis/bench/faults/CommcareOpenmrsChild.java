package org.chis.bench.faults;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;

/** The commcare-openmrs mediator as a child JVM for kill -9: {@code key=value ...} settings, prints {@code READY port=<n>}. */
public final class CommcareOpenmrsChild {
    private CommcareOpenmrsChild() {}

    public static void main(String[] args) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String a : args) {
            int i = a.indexOf('=');
            if (i > 0) s.put(a.substring(0, i), a.substring(i + 1));
        }
        Path config = Path.of(s.remove("configDir"));
        MediatorApp app = org.chis.mediator.commcareopenmrs.Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, config)));
        // a graceful stop (ChildJvm.close) closes the state store, so the test can open the H2 file afterwards
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
