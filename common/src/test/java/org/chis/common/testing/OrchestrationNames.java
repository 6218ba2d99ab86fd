package org.chis.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.audit.Orchestration;

/** Checks orchestration names against the suite's one scheme (see {@link org.chis.common.audit.Orchestration}). */
public final class OrchestrationNames {
    private static final Pattern SCHEME = Pattern.compile("([A-Z][A-Za-z0-9]*( [a-z]+)?|rollback): (\\S+).*");

    private OrchestrationNames() {}

    /** Every name is {@code <System>: <what>} or {@code rollback: <step>}, and what follows the colon is not the system again. */
    public static void assertOneScheme(List<String> names) {
        assertThat(names).isNotEmpty();
        for (String name : names) {
            Matcher m = SCHEME.matcher(name);
            assertThat(m.matches()).as("'%s' is '<System>: <what it does>'", name).isTrue();
            assertThat(m.group(3).replaceAll(":$", "")).as("'%s' names its system twice", name).isNotEqualToIgnoringCase(m.group(1));
        }
    }
}
