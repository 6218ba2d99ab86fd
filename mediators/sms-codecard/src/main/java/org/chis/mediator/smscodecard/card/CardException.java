package org.chis.mediator.smscodecard.card;

import java.util.List;
import org.chis.common.config.ConfigException;

/** The code cards cannot be used: every problem found, each naming its file, field and what is wrong. */
public class CardException extends ConfigException {
    private final List<String> problems;

    public CardException(List<String> problems) {
        super("code cards are not valid (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  - "
                + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() { return problems; }
}
