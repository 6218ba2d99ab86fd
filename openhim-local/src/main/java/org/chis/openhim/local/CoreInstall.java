package org.chis.openhim.local;

import com.fasterxml.jackson.databind.JsonNode;
import de.bwaldvogel.mongo.ServerVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.chis.common.json.Json;

/**
 * An unpacked openhim-core (the npm 4.0.5 install, or one the user supplies with {@code OPENHIM_CORE_HOME}, e.g. a
 * 5.x-8.x checkout with its node_modules and built lib/) and what starting it needs, which differs by version:
 * the conf key of the API port, whether mongoose needs {@code usePushEach}, the server script, the Mongo wire version.
 */
public record CoreInstall(Path dir, String version, String mongooseVersion, String serverScript) {
    /** Environment variable naming a core install to use instead of the npm 4.0.5 one. */
    public static final String HOME_ENV = "OPENHIM_CORE_HOME";
    public static final String HOME_PROPERTY = "openhim.core.home";

    /** Reads {@code dir/package.json} (must be openhim-core) and the mongoose package that install resolves. */
    public static CoreInstall of(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        JsonNode pkg = readJson(abs.resolve("package.json"), "an openhim-core install");
        if (!"openhim-core".equals(pkg.path("name").asText())) {
            throw new IllegalStateException(abs + "/package.json is '" + pkg.path("name").asText() + "', not openhim-core");
        }
        String version = pkg.path("version").asText("");
        if (major(version) < 4) throw new IllegalStateException(abs + ": openhim-core version '" + version + "' is not supported (4.x-8.x)");
        // npm may hoist mongoose next to openhim-core (the npm 4.0.5 install) or keep it inside (a checkout)
        Path mongoose = abs.resolve("node_modules/mongoose/package.json");
        if (!Files.isRegularFile(mongoose)) mongoose = abs.getParent() == null ? mongoose : abs.getParent().resolve("mongoose/package.json");
        String mongooseVersion = readJson(mongoose, "mongoose (run npm ci in " + abs + ")").path("version").asText("");
        String main = pkg.path("main").asText("lib/server.js");
        Path script = abs.resolve(main).normalize();
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException(abs + ": no " + main + " (a checkout must be built first: npm ci && npm run build)");
        }
        return new CoreInstall(abs, version, mongooseVersion, abs.relativize(script).toString());
    }

    /** {@code OPENHIM_CORE_HOME} (or -Dopenhim.core.home) when set, else null (use the npm install). */
    public static Path suppliedHome() {
        String p = System.getProperty(HOME_PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv(HOME_ENV);
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    public int major() { return major(version); }

    /**
     * mongoose 4 saves modified arrays with {@code $pushAll}, which MongoDB >= 3.6 and mongo-java-server reject;
     * {@code usePushEach} fixes that. Later mongoose versions never send it, and reject the option.
     */
    public boolean needsPushEach() { return major(mongooseVersion) == 4; }

    /**
     * The conf keys core reads the API port from: {@code api.httpsPort} up to 4.x, {@code api.port} in 8.x
     * ({@code lookupServerPorts}: {@code config.api.port || DEFAULT_API_PORT}). For 5.x-7.x both are written:
     * each version reads its own and ignores the other.
     */
    public List<String> apiPortKeys() {
        int m = major();
        if (m <= 4) return List.of("httpsPort");
        if (m >= 8) return List.of("port");
        return List.of("httpsPort", "port");
    }

    /** The wire version mongo-java-server reports: 3.6 for core 4's mongodb 2.2 driver, 4.0 for the newer drivers. */
    public ServerVersion mongoVersion() { return major() <= 4 ? ServerVersion.MONGO_3_6 : ServerVersion.MONGO_4_0; }

    static int major(String version) {
        String v = version.startsWith("v") ? version.substring(1) : version;
        int dot = v.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static JsonNode readJson(Path file, String what) {
        if (!Files.isRegularFile(file)) throw new IllegalStateException("no " + file + " (" + what + ")");
        try {
            return Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
