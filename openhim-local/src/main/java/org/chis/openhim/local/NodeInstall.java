package org.chis.openhim.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The npm side of the harness: {@code openhim-local/node} holds package.json + package-lock.json pinning
 * openhim-core 4.0.5. {@link #ensureInstalled} runs {@code npm ci} there when {@code node_modules} is missing or
 * older than the lock file, so a fresh clone works without a separate step. {@code scripts/openhim-core.sh install}
 * does the same thing and uses the same marker and lock, so the two never install over each other.
 */
public final class NodeInstall {
    private static final Logger log = LoggerFactory.getLogger(NodeInstall.class);

    /** Written into node_modules after a complete install: the SHA-256 of package-lock.json it was installed from. */
    public static final String MARKER = ".chis-installed";
    /** A directory used as a cross-process lock (mkdir is atomic; shared with scripts/openhim-core.sh). */
    public static final String LOCK_DIR = ".install.lock.d";
    private static final Duration STALE_LOCK = Duration.ofMinutes(10);
    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(10);

    private NodeInstall() {}

    /** The core package directory, {@code node_modules/openhim-core}. */
    public static Path coreDir(Path nodeDir) { return nodeDir.resolve("node_modules").resolve("openhim-core"); }

    /** True when node_modules was installed from the current package-lock.json. */
    public static boolean isCurrent(Path nodeDir) {
        try {
            Path marker = nodeDir.resolve("node_modules").resolve(MARKER);
            return Files.isRegularFile(marker) && Files.isRegularFile(coreDir(nodeDir).resolve("lib/server.js"))
                    && Files.readString(marker, StandardCharsets.UTF_8).trim().equals(lockHash(nodeDir));
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code npm ci --no-audit --no-fund} (and the ssl-root-cas workaround) unless node_modules is current. */
    public static void ensureInstalled(Path nodeDir, Path logFile) throws IOException {
        if (isCurrent(nodeDir)) return;
        Path lock = nodeDir.resolve(LOCK_DIR);
        acquire(lock);
        try {
            if (isCurrent(nodeDir)) return; // another process installed it while we waited
            install(nodeDir, logFile);
        } finally {
            Files.deleteIfExists(lock);
        }
    }

    private static void install(Path nodeDir, Path logFile) throws IOException {
        long t0 = System.nanoTime();
        log.info("installing OpenHIM core from npm: npm ci in {} (log {})", nodeDir, logFile);
        Files.createDirectories(logFile.getParent());
        Process p = new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
                .directory(nodeDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                .start();
        try {
            if (!p.waitFor(NPM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException("npm ci in " + nodeDir + " did not finish in " + NPM_TIMEOUT.toMinutes() + " min; see " + logFile);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running npm ci", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("npm ci in " + nodeDir + " failed (exit " + p.exitValue() + "):\n"
                    + OpenHimCore.tail(logFile, 0, 30) + "\n(node 18+ and npm must be on the PATH and the npm registry reachable)");
        }
        applyWorkarounds(nodeDir);
        Files.writeString(nodeDir.resolve("node_modules").resolve(MARKER), lockHash(nodeDir) + "\n", StandardCharsets.UTF_8);
        log.info("OpenHIM core installed in {} s", (System.nanoTime() - t0) / 1_000_000_000);
    }

    /**
     * ssl-root-cas/latest downloads Mozilla's CA list at every core start (it fails offline, harmlessly but noisily):
     * seed its cache file with the bundled list.
     */
    static void applyWorkarounds(Path nodeDir) throws IOException {
        Path cas = nodeDir.resolve("node_modules").resolve("ssl-root-cas");
        if (Files.isRegularFile(cas.resolve("ssl-root-cas.js"))) {
            Files.copy(cas.resolve("ssl-root-cas.js"), cas.resolve("ssl-root-cas-latest.js"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String lockHash(Path nodeDir) throws IOException {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(nodeDir.resolve("package-lock.json")));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void acquire(Path lock) throws IOException {
        Instant deadline = Instant.now().plus(NPM_TIMEOUT);
        boolean told = false;
        while (true) {
            try {
                Files.createDirectory(lock);
                return;
            } catch (FileAlreadyExistsException e) {
                try {
                    if (Files.getLastModifiedTime(lock).toInstant().isBefore(Instant.now().minus(STALE_LOCK))) {
                        log.warn("removing stale npm install lock {}", lock);
                        Files.deleteIfExists(lock);
                        continue;
                    }
                } catch (IOException gone) {
                    continue; // released meanwhile
                }
                if (Instant.now().isAfter(deadline)) throw new IOException("timed out waiting for the npm install lock " + lock);
                if (!told) {
                    log.info("another process is installing OpenHIM core ({}), waiting", lock);
                    told = true;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for " + lock, ie);
                }
            }
        }
    }
}
