package org.chis.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** The benchmarks' scratch folders (state databases, logs). */
public final class TempFolders {
    private TempFolders() {}

    /** Deletes the folder and everything in it; what cannot be deleted stays (a temp folder left behind is harmless). */
    public static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // see above
        }
    }
}
