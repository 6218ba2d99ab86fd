package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.chis.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source mapping files are checked at start-up: every problem of every file at once (before: the first only). */
class ReferralMappingTest {

    @Test
    void everyProblemOfEveryFileIsListedWithFileAndPath(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), """
                {"source": "CHT app", "detect": "form",
                 "fields": {"referralId": "/_id", "patientIdentifier": ["/fields/patient_id", "x"], "colour": "/c",
                            "reason": "/fields/[reason", "facility": "=clinic"},
                 "values": {"urgency": {"high": "urgent", "low": 2, "bad": {}}}}""");
        Files.writeString(dir.resolve("b.json"), "[1, 2]");
        Files.writeString(dir.resolve("c.json"), "{\"source\": ");
        assertThatThrownBy(() -> ReferralSources.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("referral mappings in " + dir + " (10 problems)")
                .hasMessageContaining("a.json: $.source: 'CHT app' is not a short lower-case name")
                .hasMessageContaining("a.json: $.detect: field path 'form' must start with '/' (JSON Pointer) or '=' (constant)")
                .hasMessageContaining("a.json: $.fields.patientIdentifier[1]: field path 'x' must start with '/'")
                .hasMessageContaining("a.json: $.fields.colour: unknown field 'colour' (known: [authoredOn, birthDate,")
                .hasMessageContaining("a.json: $.fields.reason: field path '/fields/[reason': filter segment '[reason' must look like [name=value]")
                .hasMessageContaining("a.json: $.fields.requester: is required")
                .hasMessageContaining("a.json: $.fields: map either 'name' or both 'givenName' and 'familyName'")
                .hasMessageContaining("a.json: $.values.urgency.bad: must be a string")
                .hasMessageContaining("b.json: $: a referral mapping must be a JSON object")
                .hasMessageContaining("c.json: not readable JSON: malformed JSON");
    }

    @Test
    void theShippedMappingsLoad() {
        ReferralSources s = ReferralSources.load(Path.of("../../mediator-configs/referral/sources"));
        assertThat(s.size()).isGreaterThanOrEqualTo(2);
        assertThat(s.has("cht")).isTrue();
    }
}
