package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.chis.mediator.smscodecard.reply.Gsm7;
import org.chis.mediator.smscodecard.reply.Reference;
import org.junit.jupiter.api.Test;

/**
 * The message table (src/test/resources/messages.json): each row is one SMS as RapidPro delivers it, in order,
 * with the exact reply expected and, for accepted reports, the record the warehouse must hold. Rows depend on
 * earlier ones (duplicates, UNDO). {@code -Dsms.table.write=true} rewrites replies and records from what the
 * mediator answers, for review after a deliberate wording change.
 */
class MessageTableTest {
    private static final Path TABLE = Path.of("src/test/resources/messages.json");
    private static final Pattern REF = Pattern.compile("\\{ref:(\\d+)}");

    @Test
    void everyMessageGetsTheExpectedReplyAndRecord() throws Exception {
        ArrayNode rows = (ArrayNode) Json.parse(Files.readString(TABLE, StandardCharsets.UTF_8));
        assertThat(rows.size()).isGreaterThanOrEqualTo(100);
        boolean write = Boolean.getBoolean("sms.table.write");
        List<String> mismatches = new ArrayList<>();
        try (SmsFixture f = new SmsFixture(Map.of())) {
            Warehouse warehouse = f.warehouse();
            for (JsonNode row : rows) {
                int id = row.path("id").asInt();
                String text = resolve(row.path("text").asText());
                String lang = row.path("language").isNull() ? null : row.path("language").asText();
                int recordsBefore = warehouse.records().size();
                SmsFixture.Reply r = f.sms(SmsFixture.uuid(id), row.path("phone").asText(), lang, text);
                String where = "#" + id + " (" + row.path("note").asText() + ")";
                assertThat(r.http()).as(where).isEqualTo(200);
                String reply = r.text();
                assertThat(reply).as(where + " reply").isNotNull();
                assertThat(Gsm7.isGsm7(reply)).as(where + " GSM-7: " + reply).isTrue();
                assertThat(Gsm7.septets(reply)).as(where + " length: " + reply).isLessThanOrEqualTo(160);
                assertThat(reply).as(where + " carries the reference").contains(Reference.of(SmsFixture.uuid(id)));
                assertThat(r.body().path("send").asBoolean()).as(where + " send").isTrue();
                var added = warehouse.records().stream().filter(s -> s.messageUuid().equals(SmsFixture.uuid(id))).findFirst();
                JsonNode record = added.map(s -> recordValues(Json.parse(s.recordJson()))).orElse(null);
                if (write) {
                    ((ObjectNode) row).put("kind", r.kind());
                    ((ObjectNode) row).put("reply", reply);
                    if (record != null) ((ObjectNode) row).set("record", record);
                    else ((ObjectNode) row).remove("record");
                    continue;
                }
                if (!row.path("kind").asText().equals(r.kind())) mismatches.add(where + ": kind " + r.kind() + ", expected " + row.path("kind").asText());
                if (!row.path("reply").asText().equals(reply)) mismatches.add(where + ": reply\n    got      " + reply + "\n    expected " + row.path("reply").asText());
                JsonNode expectedRecord = row.path("record");
                if (expectedRecord.isMissingNode()) {
                    assertThat(warehouse.records()).as(where + " keeps no record").hasSize(recordsBefore);
                } else if (!expectedRecord.equals(record)) {
                    mismatches.add(where + ": record " + record + ", expected " + expectedRecord);
                }
            }
            if (write) {
                Files.writeString(TABLE, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(rows), StandardCharsets.UTF_8);
                return;
            }
            assertThat(mismatches).as(String.join("\n", mismatches)).isEmpty();
            // every accepted, not retracted ANC/FEVER report is one live encounter in OpenMRS
            long live = warehouse.records().stream().filter(s -> s.status().equals("ACTIVE") && s.encounterUuid() != null).count();
            assertThat(f.liveEncounters()).hasSize((int) live);
        }
    }

    private static JsonNode recordValues(JsonNode record) {
        ObjectNode o = Json.object();
        o.put("keyword", record.path("keyword").asText()).put("version", record.path("cardVersion").asInt());
        o.put("patientId", record.path("patientId").asText());
        o.set("values", record.path("values"));
        return o;
    }

    private static String resolve(String text) {
        Matcher m = REF.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) m.appendReplacement(b, Reference.of(SmsFixture.uuid(Integer.parseInt(m.group(1)))));
        m.appendTail(b);
        return b.toString();
    }
}
