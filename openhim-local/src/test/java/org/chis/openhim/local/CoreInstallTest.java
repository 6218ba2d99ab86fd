package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import de.bwaldvogel.mongo.ServerVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-version start-up facts of a supplied openhim-core (OPENHIM_CORE_HOME) and the conf file written for it. */
class CoreInstallTest {
    @TempDir
    Path tmp;

    /** A core folder as a checkout has it: package.json, node_modules/mongoose, the built server script. */
    Path core(String name, String version, String mongoose, boolean hoisted) throws Exception {
        Path dir = tmp.resolve(name).resolve("openhim-core");
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("package.json"),
                "{\"name\":\"openhim-core\",\"version\":\"" + version + "\",\"main\":\"./lib/server.js\"}");
        Files.writeString(dir.resolve("lib/server.js"), "");
        Path m = hoisted ? dir.getParent().resolve("mongoose") : dir.resolve("node_modules/mongoose");
        Files.createDirectories(m);
        Files.writeString(m.resolve("package.json"), "{\"name\":\"mongoose\",\"version\":\"" + mongoose + "\"}");
        return dir;
    }

    static Map<String, Integer> ports() {
        Map<String, Integer> p = new LinkedHashMap<>();
        p.put("api", 18080);
        p.put("routerHttp", 15001);
        p.put("routerHttps", 15000);
        p.put("rerun", 17786);
        p.put("tcpAdapter", 17787);
        p.put("polling", 17788);
        return p;
    }

    static ObjectNode conf(CoreInstall install) {
        return OpenHimCore.conf(install, OpenHimCore.Options.in(Path.of("/tmp/x")), ports(), "mongodb://127.0.0.1:1/openhim");
    }

    @Test
    void core405FromNpmReadsApiHttpsPortAndNeedsUsePushEach() throws Exception {
        CoreInstall c = CoreInstall.of(core("npm", "4.0.5", "4.13.21", true));
        assertThat(c.major()).isEqualTo(4);
        assertThat(c.needsPushEach()).isTrue();
        assertThat(c.serverScript()).isEqualTo("lib/server.js");
        assertThat(c.mongoVersion()).isEqualTo(ServerVersion.MONGO_3_6);
        ObjectNode api = (ObjectNode) conf(c).get("api");
        assertThat(api.path("httpsPort").asInt()).isEqualTo(18080);
        assertThat(api.has("port")).isFalse();
        assertThat(api.has("protocol")).isFalse();
    }

    @Test
    void core8ReadsApiPortOverHttpsAndItsMongooseMustNotGetUsePushEach() throws Exception {
        CoreInstall c = CoreInstall.of(core("v8", "8.5.0", "6.12.3", false));
        assertThat(c.major()).isEqualTo(8);
        assertThat(c.needsPushEach()).isFalse();
        assertThat(c.mongoVersion()).isEqualTo(ServerVersion.MONGO_4_0);
        ObjectNode conf = conf(c);
        assertThat(conf.path("api").path("port").asInt()).isEqualTo(18080);
        assertThat(conf.path("api").path("protocol").asText()).isEqualTo("https");
        assertThat(conf.path("api").has("httpsPort")).isFalse();
        // the rest is the same for every version
        assertThat(conf.path("logger").path("capDBLogs").asBoolean(true)).isFalse();
        assertThat(conf.path("router").path("httpPort").asInt()).isEqualTo(15001);
        assertThat(conf.path("polling").path("pollingPort").asInt()).isEqualTo(17788);
        assertThat(conf.path("rerun").path("httpPort").asInt()).isEqualTo(17786);
    }

    @Test
    void cores5To7GetBothApiPortKeysAndPushEachFollowsTheirMongoose() throws Exception {
        CoreInstall c5 = CoreInstall.of(core("v5", "5.4.2", "5.13.3", false));
        assertThat(c5.apiPortKeys()).containsExactly("httpsPort", "port");
        assertThat(c5.needsPushEach()).isFalse();
        ObjectNode api = (ObjectNode) conf(c5).get("api");
        assertThat(api.path("httpsPort").asInt()).isEqualTo(18080);
        assertThat(api.path("port").asInt()).isEqualTo(18080);
        assertThat(CoreInstall.of(core("v7", "v7.1.0", "4.13.21", false)).needsPushEach()).isTrue();
    }

    @Test
    void aFolderThatIsNotARunnableCoreIsRefusedWithWhatToDo() throws Exception {
        Path notCore = tmp.resolve("other");
        Files.createDirectories(notCore);
        Files.writeString(notCore.resolve("package.json"), "{\"name\":\"openhim-console\",\"version\":\"1.18.2\"}");
        assertThatThrownBy(() -> CoreInstall.of(notCore)).hasMessageContaining("not openhim-core");

        Path unbuilt = core("unbuilt", "8.5.0", "6.12.3", false);
        Files.delete(unbuilt.resolve("lib/server.js"));
        assertThatThrownBy(() -> CoreInstall.of(unbuilt)).hasMessageContaining("npm run build");

        Path noModules = core("nomods", "8.5.0", "6.12.3", false);
        Files.delete(noModules.resolve("node_modules/mongoose/package.json"));
        assertThatThrownBy(() -> CoreInstall.of(noModules)).hasMessageContaining("npm ci");
    }

    @Test
    void theSuppliedHomeComesFromThePropertyOrOPENHIMCOREHOME() {
        String before = System.getProperty(CoreInstall.HOME_PROPERTY);
        try {
            System.setProperty(CoreInstall.HOME_PROPERTY, "/opt/openhim-core-8.5.0");
            assertThat(CoreInstall.suppliedHome()).isEqualTo(Path.of("/opt/openhim-core-8.5.0"));
        } finally {
            if (before == null) System.clearProperty(CoreInstall.HOME_PROPERTY);
            else System.setProperty(CoreInstall.HOME_PROPERTY, before);
        }
    }
}
