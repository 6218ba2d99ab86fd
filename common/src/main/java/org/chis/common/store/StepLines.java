package org.chis.common.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.chis.common.store.SagaJournal.Step;
import org.chis.common.store.SagaJournal.StepState;

/**
 * A saga's steps as the text of its journal row ({@code saga_journal.steps}): one line per step, in order,
 * {@code seq TAB state TAB resource kind TAB resource id TAB name TAB error}, each line ending in a newline. A field
 * escapes backslash, tab, newline and carriage return ({@code \\ \t \n \r}); an absent value is an empty field, so an
 * empty name or error reads back as null. Plain text so SQL can still count steps (newlines) and states
 * ({@code TAB UNDO_FAILED TAB}), as the reporting view {@code rpt_saga} does.
 */
final class StepLines {
    private StepLines() {}

    static String write(Collection<Step> steps) {
        StringBuilder b = new StringBuilder(steps.size() * 96);
        for (Step st : steps) {
            b.append(st.seq()).append('\t').append(st.state().name()).append('\t');
            field(b, st.resourceKind()).append('\t');
            field(b, st.resourceId()).append('\t');
            field(b, st.name()).append('\t');
            field(b, st.error()).append('\n');
        }
        return b.toString();
    }

    static List<Step> read(String sagaKey, String text) {
        List<Step> steps = new ArrayList<>();
        if (text == null || text.isEmpty()) return steps;
        int at = 0;
        while (at < text.length()) {
            int end = text.indexOf('\n', at);
            if (end < 0) end = text.length();
            String[] f = new String[6];
            int field = 0;
            int from = at;
            for (int i = at; i <= end && field < 6; i++) {
                if (i == end || text.charAt(i) == '\t') {
                    f[field++] = unescape(text, from, i);
                    from = i + 1;
                }
            }
            if (field != 6 || f[0] == null || f[1] == null) {
                throw new StoreException("saga journal: unreadable step line of '" + sagaKey + "': " + text.substring(at, end));
            }
            steps.add(new Step(sagaKey, Integer.parseInt(f[0]), f[4], f[2], f[3], StepState.valueOf(f[1]), f[5]));
            at = end + 1;
        }
        return steps;
    }

    private static StringBuilder field(StringBuilder b, String value) {
        if (value == null) return b;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(ch);
            }
        }
        return b;
    }

    private static String unescape(String text, int from, int to) {
        if (from == to) return null;
        if (text.indexOf('\\', from) < 0 || text.indexOf('\\', from) >= to) return text.substring(from, to);
        StringBuilder b = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            char ch = text.charAt(i);
            if (ch == '\\' && i + 1 < to) {
                char next = text.charAt(++i);
                b.append(switch (next) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> next;
                });
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
