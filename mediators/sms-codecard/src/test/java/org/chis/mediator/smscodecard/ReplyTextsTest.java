package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.chis.common.config.ConfigException;
import org.chis.mediator.smscodecard.parse.CommandWords;
import org.chis.mediator.smscodecard.reply.ReplyTexts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reply texts and command words are configuration (replies/<lang>.json), checked at start-up. */
class ReplyTextsTest {

    @Test
    void theShippedLanguagesLoadWithTheirCommandWords() {
        ReplyTexts texts = ReplyTexts.load(SmsFixture.CONFIG.resolve("replies"));
        assertThat(texts.languages()).containsExactlyInAnyOrder("eng", "swa", "fra");
        CommandWords w = texts.commandWords();
        assertThat(w.undo()).containsExactlyInAnyOrder("UNDO", "FUTA", "ANNULER");
        assertThat(w.yes()).containsExactlyInAnyOrder("Y", "YES", "1", "NDIYO", "N1", "OUI", "O");
        assertThat(w.no()).containsExactlyInAnyOrder("N", "NO", "0", "HAPANA", "H", "NON");
    }

    @Test
    void aBrokenReplyFileStopsTheStartNamingFileAndPath(@TempDir Path dir) throws Exception {
        String eng = Files.readString(SmsFixture.CONFIG.resolve("replies/eng.json"));
        Files.writeString(dir.resolve("eng.json"), eng
                .replace("\"undone\": \"Report {value} cancelled. Ref {ref}\",", "")
                .replace("\"not_allowed\": \"This phone is not registered for {kw} reports.", "\"not_allowed\": \"This phone {name} is not registered for {kw} reports.")
                .replace("\"not_registered\": \"This phone is not registered", "\"not_registered\": \"" + "This phone really ".repeat(8) + "is not registered")
                .replace("\"yesno\": \"use Y or N\"", "\"yesno\": \"use ✓ or N\"")
                .replace("\"undo\": [\"UNDO\"]", "\"undo\": [\"UN DO\"]"));
        Files.writeString(dir.resolve("swahili.json"), "{}");
        assertThatThrownBy(() -> ReplyTexts.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("reply texts in " + dir + " (10 problems)")
                .hasMessageContaining("eng.json: $.replies.undone: is missing: every language needs this text")
                .hasMessageContaining("eng.json: $.replies.not_allowed: unknown placeholder {name} (this text can use {example}, {kw}, {ref}, {ref0}, {undo}, {value})")
                .hasMessageContaining("eng.json: $.replies.not_registered: is 225 GSM-7 characters with its values left empty: over one SMS (160)")
                .hasMessageContaining("eng.json: $.hints.yesno: has characters outside GSM-7 (✓)")
                .hasMessageContaining("eng.json: $.commands.undo[0]: 'UN DO' is not a command word")
                .hasMessageContaining("swahili.json: $: the file name must be the language's ISO-639-3 code")
                .hasMessageContaining("swahili.json: $.commands: is required (an object)")
                .hasMessageContaining("swahili.json: $.replies: is required (an object)")
                .hasMessageContaining("swahili.json: $.hints: is required (an object)")
                .hasMessageContaining("swahili.json: $.report: is required");
    }
}
