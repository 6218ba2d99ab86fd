package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.chis.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data set maps, tracker mappings and the import mapping list every problem at start-up (before: the first only). */
class MappingFilesTest {
    private static final Path CONFIG = Path.of("../../mediator-configs/dhis2");

    @Test
    void dataSetMapsListEveryProblemOfEveryFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), """
                {"report": "anc", "dataSet": "short", "periodType": "Fortnightly",
                 "orgUnits": {"kisumu": "DiszpKrYNg8", "siaya": "nope"},
                 "dataValues": {"visits": "x1", "weights": {"categoryOptionCombo": "HllvX50cXC0"}}}""");
        Files.writeString(dir.resolve("b.json"), """
                {"report": "anc", "dataSet": "BfMAe6Itzgt", "periodType": "Monthly", "dataValues": {}}""");
        Files.writeString(dir.resolve("c.json"), """
                {"report": "anc", "dataSet": "BfMAe6Itzgt", "periodType": "Monthly", "dataValues": {"v": "fbfJHSPpUQD"}}""");
        Files.writeString(dir.resolve("d.json"), """
                {"report": "anc", "dataSet": "BfMAe6Itzgt", "periodType": "Monthly", "dataValues": {"v": "fbfJHSPpUQD"}}""");
        assertThatThrownBy(() -> DataSetMaps.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("data set maps in " + dir + " (7 problems)")
                .hasMessageContaining("a.json: $.dataSet: 'short' is not a DHIS2 UID (11 characters, a letter first)")
                .hasMessageContaining("a.json: $.periodType: ")
                .hasMessageContaining("a.json: $.orgUnits.siaya: 'nope' is not a DHIS2 UID")
                .hasMessageContaining("a.json: $.dataValues.visits: 'x1' is not a DHIS2 UID")
                .hasMessageContaining("a.json: $.dataValues.weights.dataElement: is required")
                .hasMessageContaining("b.json: $.dataValues: is empty: map at least one column to a data element")
                .hasMessageContaining("d.json: $.report: 'anc' is already mapped by c.json");
    }

    @Test
    void trackerMappingsListEveryProblem(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("child.json"), """
                {"trackedEntityType": "nEenWmSyUEp", "program": "IpHINAT79UW", "programStage": "bad",
                 "attributes": {"w75KJ2mc4zz": "/form/name", "notAUid": "/form/x"},
                 "dataValues": {"qrur9Dvnyt5": "form/weight"}, "occurredAt": "meta/timeEnd"}""");
        assertThatThrownBy(() -> TrackerMapping.loadAll(dir)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("tracker mappings in " + dir + " (6 problems)")
                .hasMessageContaining("child.json: $.xmlns: is required")
                .hasMessageContaining("child.json: $.programStage: 'bad' is not a DHIS2 UID")
                .hasMessageContaining("child.json: $: give 'orgUnit' (a UID) or 'orgUnitFrom' (a path) with 'orgUnits'")
                .hasMessageContaining("child.json: $.attributes.notAUid: 'notAUid' is not a DHIS2 UID")
                .hasMessageContaining("child.json: $.dataValues.qrur9Dvnyt5: 'form/weight' is not a JSON pointer (it starts with /)")
                .hasMessageContaining("child.json: $.occurredAt: 'meta/timeEnd' is not a JSON pointer");
    }

    @Test
    void findByAndEventProgramMappingsAreChecked(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("child.json"), """
                {"xmlns": "x", "trackedEntityType": "nEenWmSyUEp", "program": "IpHINAT79UW", "programStage": "A03MvHHogjR", "orgUnit": "DiszpKrYNg8",
                 "attributes": {"w75KJ2mc4zz": "/form/name"}, "findBy": ["lZGmxYbs97q"]}""");
        Files.writeString(dir.resolve("deaths.json"), """
                {"xmlns": "y", "kind": "event", "trackedEntityType": "nEenWmSyUEp", "program": "eBAyeGv0exc", "programStage": "Zj7UnCAulEk",
                 "orgUnit": "DiszpKrYNg8", "attributes": {"w75KJ2mc4zz": "/form/name"}}""");
        Files.writeString(dir.resolve("odd.json"), """
                {"xmlns": "z", "kind": "cohort", "program": "eBAyeGv0exc", "programStage": "Zj7UnCAulEk", "orgUnit": "DiszpKrYNg8"}""");
        assertThatThrownBy(() -> TrackerMapping.loadAll(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("child.json: $.findBy: 'lZGmxYbs97q' is not one of the mapped 'attributes'")
                .hasMessageContaining("deaths.json: $.trackedEntityType: is not used by an event program mapping (kind 'event'): remove it")
                .hasMessageContaining("deaths.json: $.attributes: is not used by an event program mapping")
                .hasMessageContaining("odd.json: $.kind: 'cohort' is not one of tracker, event");
    }

    @Test
    void theImportMappingListsEveryProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("import.json");
        Files.writeString(f, """
                {"trackedEntityType": "x", "orgUnit": "ImspTQPwCqd", "caseName": ["a", 3], "events": {"programStage": "y"}}""");
        assertThatThrownBy(() -> ImportMapping.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("the import mapping " + f + " (5 problems)")
                .hasMessageContaining(f + ": $.trackedEntityType: 'x' is not a DHIS2 UID")
                .hasMessageContaining(f + ": $.ownerId: is required (the CommCare user or location owning new cases)")
                .hasMessageContaining(f + ": $.caseName[1]: must be a string")
                .hasMessageContaining(f + ": $.events.program: is required")
                .hasMessageContaining(f + ": $.events.programStage: 'y' is not a DHIS2 UID");
    }

    @Test
    void theShippedMappingsLoad() {
        assertThat(DataSetMaps.load(CONFIG.resolve("datasets")).size()).isPositive();
        assertThat(TrackerMapping.loadAll(CONFIG.resolve("tracker"))).isNotEmpty();
        assertThat(ImportMapping.load(CONFIG.resolve("import.json")).trackedEntityType()).isNotBlank();
    }
}
