package org.chis.openhim.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.chis.common.json.Json;

/**
 * Command line for scripts/openhim-core.sh and the demo:
 * {@code java -jar openhim-local/target/openhim-local-*.jar start --dir D [options]} runs OpenHIM core in the
 * foreground (the Mongo stand-in lives in this JVM), writes {@code D/core.json} once core is up, and stops
 * everything cleanly on SIGTERM/SIGINT.
 */
public final class OpenHimLocalMain {
    static final String USAGE = """
            usage: java -jar openhim-local-<version>.jar start --dir DIR [options]
              --persistent            keep the database in DIR/mongo-h2.mv (H2) across restarts (default: in memory)
              --api-port N            API https port (default 8080)
              --router-port N         router http port (default 5001)
              --router-https-port N   router https port (default 5000)
              --rerun-port N          rerun listener port (default 7786)
              --tcp-port N            TCP adapter http receiver port (default 7787)
              --polling-port N        polling port (default 7788)
              --mongo-port N          Mongo stand-in port (default 0 = any free port)
              --free-ports            pick free ports for everything (0 for any single port does the same)
              --log-level L           core log level (default info)
              --timeout S             seconds to wait for core (default 60)
            Writes DIR/core.json (urls, certificate, ports, pids) when core is up; logs in DIR/core.log.
            """;

    private OpenHimLocalMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("start")) {
            System.err.print(USAGE);
            System.exit(args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")) ? 0 : 2);
        }
        Quiet.cli();
        Path dir = null;
        OpenHimCore.Options o = new OpenHimCore.Options()
                .apiPort(8080).routerHttpPort(5001).routerHttpsPort(5000).rerunPort(7786).tcpAdapterPort(7787).pollingPort(7788);
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dir" -> dir = Path.of(value(args, ++i, a));
                case "--persistent" -> o.persistent(true);
                case "--api-port" -> o.apiPort(port(args, ++i, a));
                case "--router-port" -> o.routerHttpPort(port(args, ++i, a));
                case "--router-https-port" -> o.routerHttpsPort(port(args, ++i, a));
                case "--rerun-port" -> o.rerunPort(port(args, ++i, a));
                case "--tcp-port" -> o.tcpAdapterPort(port(args, ++i, a));
                case "--polling-port" -> o.pollingPort(port(args, ++i, a));
                case "--mongo-port" -> o.mongoPort(port(args, ++i, a));
                case "--free-ports" -> o.apiPort(0).routerHttpPort(0).routerHttpsPort(0).rerunPort(0).tcpAdapterPort(0).pollingPort(0);
                case "--log-level" -> o.logLevel(value(args, ++i, a));
                case "--timeout" -> o.startTimeout(Duration.ofSeconds(port(args, ++i, a)));
                default -> fail("unknown option " + a);
            }
        }
        if (dir == null) fail("--dir DIR is required");
        o.workDir(dir);
        Path coreJson = o.workDir().resolve("core.json");
        Files.createDirectories(o.workDir());
        Files.deleteIfExists(coreJson);

        OpenHimCore core;
        try {
            core = OpenHimCore.start(o);
        } catch (Exception e) {
            System.err.println("openhim-local: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // registered after OpenHimCore's own hook; hooks run concurrently, so this one stops core itself (idempotent)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(coreJson);
            } catch (Exception ignored) {
                // best effort
            }
            core.close();
            stopped.countDown();
        }, "openhim-local-main-shutdown"));

        writeCoreJson(core, coreJson);
        System.out.println("OpenHIM core 4.0.5 is up (pid " + ProcessHandle.current().pid() + ", node " + core.nodePid() + ")");
        System.out.println("  API         " + core.apiUrl() + "   (user " + core.rootUser() + " / " + core.rootPassword() + ", token auth)");
        System.out.println("  router      " + core.routerUrl() + "   " + core.routerHttpsUrl());
        System.out.println("  certificate " + core.certificatePem());
        System.out.println("  database    " + (core.persistent() ? "H2 file " + o.workDir().resolve("mongo-h2.mv") : "in memory") + " (mongo " + core.mongoUrl() + ")");
        System.out.println("  log         " + core.logFile());
        System.out.println("  state       " + coreJson);
        System.out.flush();

        // if node dies by itself, so do we (non-zero): the caller's supervisor sees it
        ProcessHandle.of(core.nodePid()).ifPresent(h -> h.onExit().thenRun(() -> {
            if (!core.isClosed()) {
                System.err.println("openhim-local: OpenHIM core (node " + h.pid() + ") exited unexpectedly; log:\n" + core.logTail(30));
                System.exit(1); // runs the shutdown hooks: Mongo stand-in closed, core.json removed
            }
        }));
        stopped.await();
    }

    static void writeCoreJson(OpenHimCore core, Path file) throws IOException {
        ObjectNode j = Json.object();
        j.put("apiUrl", core.apiUrl());
        j.put("routerUrl", core.routerUrl());
        j.put("routerHttpsUrl", core.routerHttpsUrl());
        j.put("certificate", core.certificatePem().toString());
        j.put("rootUser", core.rootUser());
        j.put("rootPassword", core.rootPassword());
        j.put("mongoUrl", core.mongoUrl());
        j.put("persistent", core.persistent());
        j.put("log", core.logFile().toString());
        j.put("workDir", core.workDir().toString());
        ObjectNode ports = j.putObject("ports");
        for (Map.Entry<String, Integer> e : core.ports().entrySet()) ports.put(e.getKey(), e.getValue());
        ObjectNode pids = j.putObject("pids");
        pids.put("java", ProcessHandle.current().pid());
        ArrayNode nodePids = pids.putArray("node");
        core.nodePids().forEach(nodePids::add);
        j.put("startedAt", Instant.now().toString());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length) fail(opt + " needs a value");
        return args[i];
    }

    private static int port(String[] args, int i, String opt) {
        String v = value(args, i, opt);
        try {
            int p = Integer.parseInt(v);
            if (p < 0 || p > 65535) fail(opt + ": " + v + " is not a port");
            return p;
        } catch (NumberFormatException e) {
            fail(opt + " must be a number, got " + v);
            return 0;
        }
    }

    private static void fail(String msg) {
        System.err.println("openhim-local: " + msg);
        System.err.print(USAGE);
        System.exit(2);
    }
}
