package org.chis.common.config;

import java.util.List;

/**
 * A configuration or mapping-file error; the message names the file, the path and what is wrong. Readers of
 * mapping files collect every problem first ({@link JsonConfigReader}) and throw them together, so one start-up
 * shows the operator the whole list.
 */
public class ConfigException extends RuntimeException {
    private final List<ConfigProblem> problems;

    public ConfigException(String message) {
        super(message);
        this.problems = List.of(new ConfigProblem(null, null, message));
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of(new ConfigProblem(null, null, message));
    }

    /** {@code what} says which configuration ("form mappings in /etc/chis/forms"); one line per problem follows. */
    public ConfigException(String what, List<ConfigProblem> problems) {
        super(what + " (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  - "
                + String.join("\n  - ", problems.stream().map(ConfigProblem::toString).toList()));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() { return problems; }

    /** Throws when {@code problems} is not empty: the end of every collecting reader. */
    public static void throwIfAny(String what, List<ConfigProblem> problems) {
        if (!problems.isEmpty()) throw new ConfigException(what, problems);
    }
}
