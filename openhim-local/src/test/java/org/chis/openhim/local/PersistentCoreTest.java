package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The H2 file backend keeps core's data across a restart, and close() leaves no node process behind. */
class PersistentCoreTest {
    @TempDir
    Path dir;

    @Test
    void keepsDataAcrossRestartsAndStopsTheWholeProcessTree() throws Exception {
        List<Long> pids;
        String cert;
        try (OpenHimCore core = OpenHimCore.start(OpenHimCore.Options.in(dir).persistent(true))) {
            core.admin().createClient("persisted-client", "secret", "tests");
            pids = core.nodePids();
            cert = Files.readString(core.certificatePem());
        }
        assertThat(pids).hasSizeGreaterThanOrEqualTo(2);
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("node pid %d alive", pid).isFalse();
        }
        assertThat(dir.resolve("mongo-h2.mv")).exists();

        try (OpenHimCore again = OpenHimCore.start(OpenHimCore.Options.in(dir).persistent(true))) {
            var clients = again.api().get("/clients").json();
            assertThat(clients.findValuesAsText("clientID")).contains("persisted-client");
            // the keystore lives in the database too: the same certificate after a restart
            assertThat(Files.readString(again.certificatePem())).isEqualTo(cert);
            assertThat(again.logTail(200)).contains("OpenHIM server started");
        }
        assertThat(dir).exists(); // not a temp() dir: kept
    }
}
