package org.chis.mediator.smscodecard.parse;

import java.util.Set;

/**
 * The words a message may use besides the code cards' own: the command that retracts a report ({@code UNDO},
 * {@code FUTA}, {@code ANNULER}) and yes/no answers. Upper case, all languages together (a worker may mix them);
 * they come from the reply files ({@code replies/<lang>.json}, key {@code commands}).
 */
public record CommandWords(Set<String> undo, Set<String> yes, Set<String> no) {
    public CommandWords {
        undo = Set.copyOf(undo);
        yes = Set.copyOf(yes);
        no = Set.copyOf(no);
    }
}
