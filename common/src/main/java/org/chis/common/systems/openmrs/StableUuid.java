package org.chis.common.systems.openmrs;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic, client-chosen uuids (name-based, RFC 4122 version 3) from a source key and an entity role,
 * e.g. {@code StableUuid.of("form", formId, "encounter")}. OpenMRS accepts a {@code uuid} in POST bodies, so a
 * rerun computes the same uuid, finds its earlier write and never creates a second copy; and an entry in the
 * OpenMRS feed can be recognised as our own write.
 */
public final class StableUuid {
    private static final String NAMESPACE = "org.chis/";

    private StableUuid() {}

    public static String of(String... parts) {
        return UUID.nameUUIDFromBytes((NAMESPACE + String.join("\u001f", parts)).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
