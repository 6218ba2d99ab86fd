package org.chis.common.systems.dhis2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImportSummaryTest {

    @Test
    void bareSummaryOf236WithConflictsOnHttp200() {
        String body = """
                {"responseType":"ImportSummary","status":"WARNING","description":"Import process completed successfully",
                 "importCount":{"imported":2,"updated":1,"ignored":1,"deleted":0},
                 "conflicts":[{"object":"XXXXXXXXXXX","value":"Data element not found or not accessible"}],
                 "dataSetComplete":"false"}""";
        ImportSummary s = ImportSummary.parse(200, body);
        assertThat(s.status()).isEqualTo("WARNING");
        assertThat(s.imported()).isEqualTo(2);
        assertThat(s.updated()).isEqualTo(1);
        assertThat(s.ignored()).isEqualTo(1);
        assertThat(s.conflicts()).extracting(ImportSummary.Conflict::object).containsExactly("XXXXXXXXXXX");
        assertThat(s.hasProblems()).isTrue();
        assertThat(s.rejectedAll()).isFalse();
    }

    @Test
    void bareSummaryReportingSuccessNextToConflictsReadsAsWarning() {
        ImportSummary s = ImportSummary.parse(200, """
                {"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":1,"updated":0,"ignored":1,"deleted":0},
                 "conflicts":[{"object":"202699","value":"Period not valid"}]}""");
        assertThat(s.status()).isEqualTo("WARNING");
    }

    @Test
    void wrappedWebMessageSuccess() {
        ImportSummary s = ImportSummary.parse(200, """
                {"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Import was successful.",
                 "response":{"responseType":"ImportSummary","status":"SUCCESS","importOptions":{"dryRun":false},
                   "description":"Import process completed successfully",
                   "importCount":{"imported":0,"updated":431,"ignored":0,"deleted":0},"conflicts":[],"dataSetComplete":"false"}}""");
        assertThat(s.status()).isEqualTo("SUCCESS");
        assertThat(s.updated()).isEqualTo(431);
        assertThat(s.hasProblems()).isFalse();
        assertThat(s.written()).isEqualTo(431);
    }

    @Test
    void conflict409WithNewConflictFields() {
        ImportSummary s = ImportSummary.parse(409, """
                {"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered, please check import summary.",
                 "response":{"responseType":"ImportSummary","status":"WARNING",
                   "importCount":{"imported":1,"updated":1,"ignored":6,"deleted":1},
                   "conflicts":[{"object":"202604","objects":{"period":"202604"},"value":"Period: `202604` is after latest open future period: `202512` for data element: `fbfJHSPpUQD`",
                                 "errorCode":"E7641","property":"period","indexes":[0,3]}],
                   "rejectedIndexes":[0,3]}}""");
        assertThat(s.httpStatus()).isEqualTo(409);
        assertThat(s.status()).isEqualTo("WARNING");
        assertThat(s.ignored()).isEqualTo(6);
        ImportSummary.Conflict c = s.conflicts().get(0);
        assertThat(c.errorCode()).isEqualTo("E7641");
        assertThat(c.property()).isEqualTo("period");
        assertThat(c.indexes()).containsExactly(0, 3);
        assertThat(c.text()).startsWith("E7641 202604: Period:");
    }

    @Test
    void totalFailure409Error() {
        ImportSummary s = ImportSummary.parse(409, """
                {"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"An error occurred, please check import summary.",
                 "response":{"responseType":"ImportSummary","status":"ERROR","description":"Data set not found or not accessible",
                   "importCount":{"imported":0,"updated":0,"ignored":3,"deleted":0},
                   "conflicts":[{"object":"XXXXXXXXXXX","value":"Data set not found or not accessible","errorCode":"E7600"}]}}""");
        assertThat(s.rejectedAll()).isTrue();
        assertThat(s.description()).isEqualTo("Data set not found or not accessible");
    }

    @Test
    void webMessageWithoutSummaryIsAWholeRequestRejection() {
        ImportSummary s = ImportSummary.parse(409, """
                {"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"Invalid dataSet: XXXXXXXXXXX"}""");
        assertThat(s.status()).isEqualTo("ERROR");
        assertThat(s.rejectedAll()).isTrue();
        assertThat(s.description()).contains("Invalid dataSet");
    }

    @Test
    void nonJsonAndAsyncAnswersAreRefused() {
        assertThatThrownBy(() -> ImportSummary.parse(200, "<html><body>Login</body></html>")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> ImportSummary.parse(200, """
                {"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Initiated dataValueImport",
                 "response":{"responseType":"JobConfigurationWebMessageResponse","name":"dataValueImport","id":"YR1UxOUXmzT","jobType":"DATAVALUE_IMPORT"}}"""))
                .hasMessageContaining("asynchronous");
    }
}
