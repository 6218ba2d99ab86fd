package org.chis.common.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.audit.TransactionContext;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.work.Idempotent;
import org.chis.common.work.Recovery;
import org.h2.engine.DbObject;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

/**
 * Not a test (never run by the suite): replays a new-patient form's state writes (claim, saga journal with the id map
 * rows, saga end with outcome and case mapping: the commits of commcare-openmrs' FormWorkflow/FormSaga) against an H2
 * file that already holds {@code prefill} forms, and prints CPU and bytes written per form, and which B-trees the last
 * commits' chunks held. Run: java -cp common/target/classes:common/target/test-classes:<deps> org.chis.common.store.FormCommitProbe
 * [dir] [prefill] [measured] [extra H2 URL settings]. {@code -Dprobe.roundEvery=N} runs an {@link H2Compaction} round
 * every N forms, {@code -Dprobe.retentionMs=0} lets H2 move and reuse chunks younger than its 45 s (a short run's all).
 */
public final class FormCommitProbe {
    private static final int OBS = 5;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/form-commit-probe");
        int prefill = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int measured = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        String extra = args.length > 3 ? args[3] : "";
        Files.createDirectories(dir);
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        String url = "jdbc:h2:file:" + dir.resolve("probe") + ";AUTO_SERVER=FALSE" + extra;
        long[] perForm;
        try (StateStore store = StateStore.open(url, "", "", null, "probe")) {
            // -Dprobe.sql="DROP INDEX x; ..." : a schema change to try
            for (String sql : System.getProperty("probe.sql", "").split(";")) {
                if (!sql.isBlank()) store.withConnection(c -> c.createStatement().execute(sql));
            }
            Integer retention = Integer.getInteger("probe.retentionMs");
            if (retention != null) mvStore(store).setRetentionTime(retention);
            FormRun run = new FormRun(store);
            for (int i = 0; i < prefill; i++) run.form("p" + i);
            // warm-up, then measure
            for (int i = 0; i < 500; i++) run.form("w" + i);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            var threads = ManagementFactory.getThreadMXBean();
            Map<String, Long> byThread0 = threadCpu();
            long cpu0 = os.getProcessCpuTime();
            long th0 = threads.getCurrentThreadCpuTime();
            long w0 = wchar();
            long t0 = System.nanoTime();
            for (int i = 0; i < measured; i++) run.form("m" + i);
            long t1 = System.nanoTime();
            perForm = new long[] {(os.getProcessCpuTime() - cpu0) / measured, (threads.getCurrentThreadCpuTime() - th0) / measured,
                    (wchar() - w0) / measured, (t1 - t0) / measured};
            System.out.printf("settings '%s', %d forms before: per form: process CPU %.3f ms, this thread %.3f ms, bytes written %d, wall %.3f ms%n",
                    extra, prefill, perForm[0] / 1e6, perForm[1] / 1e6, perForm[2], perForm[3] / 1e6);
            Map<String, Long> byThread = threadCpu();
            byThread.forEach((name, ns) -> {
                long d = ns - byThread0.getOrDefault(name, 0L);
                if (d > measured * 20_000L) System.out.printf("  thread %-40s %.3f ms/form%n", name, d / 1e6 / measured);
            });
            MVStore mv = mvStore(store);
            System.out.printf("  layout entries %d (chunks %d), chunks fill rate %d%%, file fill rate %d%%%n", mv.getLayoutMap().size(),
                    mv.getLayoutMap().keySet().stream().filter(k -> k.startsWith("chunk.")).count(),
                    mv.getFileStore().getChunksFillRate(), mv.getFileStore().getFillRate());
            System.out.printf("  file %d KB, compaction rounds %d%n", Files.size(dir.resolve("probe.mv.db")) / 1024, run.rounds);
            Map<Integer, String> names = mapNames(store);
            for (int i = 0; i < 20; i++) run.form("last" + i);
            store.close();
            chunkContents(dir.resolve("probe.mv.db"), names, 60);
        }
    }

    /** The writes of one new-patient form, through the real room, saga and journal. */
    static final class FormRun {
        final StateStore store;
        final Idempotent room;
        final Saga saga;

        FormRun(StateStore store) {
            this.store = store;
            this.room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("form", Duration.ofMinutes(5));
            Compensators none = new Compensators();
            for (String k : List.of("openmrs-patient", "openmrs-visit", "openmrs-encounter", "openmrs-obs")) none.register(k, (tx, ref) -> { });
            this.saga = new Saga(store, none);
        }

        final int compactEvery = Integer.getInteger("probe.compactEvery", 0);
        final int roundEvery = Integer.getInteger("probe.roundEvery", 0);
        int forms;
        int rounds;

        void form(String key) throws Exception {
            forms++;
            if (compactEvery > 0 && forms % compactEvery == 0) mvStore(store).compact(Integer.getInteger("probe.fill", 90), 256 * 1024);
            if (roundEvery > 0 && forms % roundEvery == 0 && store.compaction().round().steps() > 0) rounds++;
            TransactionContext tx = new TransactionContext("t-" + key);
            String src = "commcare";
            String patient = uuid(key, "patient");
            String visit = uuid(key, "visit");
            String encounter = uuid(key, "encounter");
            MediatorResponse r = room.run(tx, "commcare-form:" + key, "form " + key, held -> {
                saga.undoInterrupted(tx, held.claim());
                store.idMap().target("case->patient", "case-" + key);
                ObjectNode body = Json.object().put("form", key).put("formType", "Registration");
                body.putObject("patient").put("uuid", patient).put("created", true).putArray("identifiers").add("ID-" + key);
                body.put("visit", visit).put("encounter", encounter).put("observations", OBS).put("caseWrittenBack", "case-" + key);
                SagaOutcome outcome = saga.run(tx, held.claim(), run -> {
                    run.writeWithJournal(c -> {
                        store.idMap().put(c, "form->encounter", src + ":" + key, encounter);
                        store.idMap().put(c, "form->patient", src + ":" + key, patient);
                    });
                    run.intend("create patient", "openmrs-patient", patient);
                    run.intend("start visit", "openmrs-visit", visit);
                    run.intend("create encounter", "openmrs-encounter", encounter);
                    for (int i = 0; i < OBS; i++) run.intend("create obs c" + i, "openmrs-obs", uuid(key, "obs" + i));
                    run.create("create patient", "openmrs-patient", patient, () -> null);
                    run.create("start visit", "openmrs-visit", visit, () -> null);
                    run.create("create encounter", "openmrs-encounter", encounter, () -> null);
                    for (int i = 0; i < OBS; i++) run.create("create obs c" + i, "openmrs-obs", uuid(key, "obs" + i), () -> null);
                    run.step("end visit", () -> null);
                    run.step("write ids back to CommCare case", () -> null);
                }, c -> held.succeed(c, body, cc -> store.idMap().put(cc, "case->patient", "case-" + key, patient)));
                if (!outcome.succeeded()) throw new IllegalStateException(outcome.toString());
                return MediatorResponse.json(org.chis.common.openhim.MediatorStatus.SUCCESSFUL, 201, body);
            });
            if (r.status() != org.chis.common.openhim.MediatorStatus.SUCCESSFUL) throw new IllegalStateException(r.body().toString());
        }

        private static String uuid(String key, String what) {
            return java.util.UUID.nameUUIDFromBytes((key + "/" + what).getBytes()).toString();
        }
    }

    /** CPU time of each live thread, by name (threads of one name summed). */
    static Map<String, Long> threadCpu() {
        var mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new TreeMap<>();
        for (long id : mx.getAllThreadIds()) {
            var info = mx.getThreadInfo(id);
            long t = mx.getThreadCpuTime(id);
            if (info != null && t > 0) out.merge(info.getThreadName().replaceAll("\\d+", "#"), t, Long::sum);
        }
        return out;
    }

    static long wchar() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("wchar:")) return Long.parseLong(line.substring(6).trim());
        }
        return -1;
    }

    static MVStore mvStore(StateStore store) throws Exception {
        try (Connection c = store.dataSource().getConnection()) {
            return ((SessionLocal) c.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
        }
    }

    /** MVStore map id -> "table.N"/"index.N" with the SQL object's name. */
    static Map<Integer, String> mapNames(StateStore store) throws Exception {
        Map<Integer, String> names = new TreeMap<>();
        try (Connection c = store.dataSource().getConnection()) {
            JdbcConnection jc = c.unwrap(JdbcConnection.class);
            SessionLocal s = (SessionLocal) jc.getSession();
            Map<Integer, String> objects = new TreeMap<>();
            for (org.h2.schema.Schema schema : s.getDatabase().getAllSchemas()) {
                for (DbObject o : schema.getAll(new ArrayList<>())) objects.put(o.getId(), o.getName());
            }
            MVStore mv = s.getDatabase().getStore().getMvStore();
            for (String name : mv.getMapNames()) {
                int id = mv.getMetaMap().containsKey("name." + name) ? Integer.parseInt(mv.getMetaMap().get("name." + name), 16) : -1;
                String label = name;
                Matcher m = Pattern.compile("(table|index)\\.(\\d+)").matcher(name);
                if (m.matches()) label = name + " " + objects.get(Integer.parseInt(m.group(2)));
                names.put(id, label);
            }
        }
        return names;
    }

    /** Bytes per map in the chunks of the last {@code chunks} commits (the chunks written at close left out). */
    static void chunkContents(Path file, Map<Integer, String> names, int chunks) {
        StringWriter out = new StringWriter();
        try {
            MVStoreTool.dump(file.toString(), out, false);
        } catch (RuntimeException e) { // the dump reads freed space too, which may hold anything
            System.out.println("chunk dump incomplete: " + e);
        }
        Pattern header = Pattern.compile(".*chunkHeader chunk:([0-9a-f]+),.*pages:([0-9a-f]+),.*");
        Pattern mapLine = Pattern.compile("map ([0-9a-f]+): (\\d+) bytes.*");
        TreeMap<Integer, Map<Integer, Long>> byChunk = new TreeMap<>();
        Map<Integer, Long> current = null;
        for (String line : out.toString().split("\n")) {
            Matcher h = header.matcher(line);
            if (h.matches()) {
                current = new TreeMap<>();
                byChunk.put(Integer.parseInt(h.group(1), 16), current);
                continue;
            }
            if (line.contains("chunkFooter")) {
                current = null;
                continue;
            }
            Matcher m = mapLine.matcher(line.trim());
            if (current != null && m.matches()) current.merge(Integer.parseInt(m.group(1), 16), Long.parseLong(m.group(2)), Long::sum);
        }
        List<Map<Integer, Long>> last = new ArrayList<>(byChunk.values());
        last = last.subList(Math.max(0, last.size() - 3 - chunks), Math.max(0, last.size() - 3));
        Map<String, Long> perMap = new TreeMap<>();
        long total = 0;
        for (Map<Integer, Long> c : last) {
            for (var e : c.entrySet()) {
                perMap.merge(names.getOrDefault(e.getKey(), "map " + Integer.toHexString(e.getKey())), e.getValue(), Long::sum);
                total += e.getValue();
            }
        }
        int n = last.size();
        System.out.printf("last %d commits: %.0f page bytes per commit, by map:%n", n, total / (double) n);
        perMap.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).forEach(e ->
                System.out.printf("  %-50s %8.0f bytes%n", e.getKey(), e.getValue() / (double) n));
    }
}
