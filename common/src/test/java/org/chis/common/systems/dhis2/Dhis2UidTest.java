package org.chis.common.systems.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Dhis2UidTest {

    @Test
    void derivedUidsHaveTheDhis2FormatAndAreStable() {
        String a = Dhis2Uid.derive("trackedEntity", "case-123");
        assertThat(Dhis2Uid.isValid(a)).isTrue();
        assertThat(Dhis2Uid.derive("trackedEntity", "case-123")).isEqualTo(a);
        assertThat(Dhis2Uid.derive("enrollment", "case-123")).isNotEqualTo(a);
        assertThat(Dhis2Uid.derive("trackedEntity", "case-124")).isNotEqualTo(a);
    }

    @Test
    void manyUidsAreValidAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            String uid = Dhis2Uid.derive("event", "form-" + i);
            assertThat(Dhis2Uid.isValid(uid)).as(uid).isTrue();
            seen.add(uid);
        }
        assertThat(seen).hasSize(20_000);
    }

    @Test
    void validity() {
        assertThat(Dhis2Uid.isValid("DiszpKrYNg8")).isTrue();
        assertThat(Dhis2Uid.isValid("1iszpKrYNg8")).isFalse();
        assertThat(Dhis2Uid.isValid("DiszpKrYNg")).isFalse();
        assertThat(Dhis2Uid.isValid("Diszp-rYNg8")).isFalse();
        assertThat(Dhis2Uid.isValid(null)).isFalse();
    }
}
