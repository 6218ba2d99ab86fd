package org.chis.common.systems.openmrs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StableUuidTest {
    /** The same uuids as before the digest was reused: every uuid already written to OpenMRS must be found again. */
    @Test
    void isTheNameBasedUuidOfTheParts() {
        assertThat(StableUuid.of("commcare", "form-1", "encounter"))
                .isEqualTo(UUID.nameUUIDFromBytes("org.chis/commcare\u001fform-1\u001fencounter".getBytes(StandardCharsets.UTF_8)).toString());
        for (int i = 0; i < 1000; i++) {
            String key = "form-" + i + "-é€";
            assertThat(StableUuid.of("commcare", key, "obs", String.valueOf(i)))
                    .isEqualTo(UUID.nameUUIDFromBytes(("org.chis/commcare\u001f" + key + "\u001fobs\u001f" + i).getBytes(StandardCharsets.UTF_8)).toString());
        }
    }
}
