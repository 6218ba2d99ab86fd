package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.chis.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken feeds.json lists every problem at once (before: only the first). */
class FeedMappingTest {

    @Test
    void everyProblemIsListedWithFileAndPath(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("feeds.json");
        Files.writeString(bad, """
                {"ownerId": "o",
                 "patient": {"caseName": "nickname",
                             "properties": [{"property": "openmrs_x", "from": "gender", "valueMap": ["M"]}, {"property": "a", "from": "shoeSize", "conflict": "both-win"}]},
                 "encounter": {"dateProperty": "1 date", "observations": [{"property": "a"}]}}""");
        assertThatThrownBy(() -> FeedMapping.load(bad)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("the feed mapping " + bad + " (9 problems)")
                .hasMessageContaining(bad + ": $.caseType: is required")
                .hasMessageContaining(bad + ": $.patient.caseName: unknown patient field 'nickname'")
                .hasMessageContaining(bad + ": $.patient.properties[0].property: 'openmrs_x': the openmrs_ prefix is reserved")
                .hasMessageContaining(bad + ": $.patient.properties[0].valueMap: must be an object of OpenMRS value -> case value")
                .hasMessageContaining(bad + ": $.patient.properties[1].from: unknown patient field 'shoeSize'")
                .hasMessageContaining(bad + ": $.patient.properties[1].conflict: unknown conflict policy 'both-win'")
                .hasMessageContaining(bad + ": $.encounter.dateProperty: '1 date' is not an XML name")
                .hasMessageContaining(bad + ": $.encounter.observations[0].property: 'a' is mapped twice")
                .hasMessageContaining(bad + ": $.encounter.observations[0].concept: is required");
    }
}
