package org.chis.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One test-naming style in every module: a test method is a lowerCamelCase sentence saying the behaviour
 * ({@code aRerunAfterAFailureCreatesNothingTwice}), never snake_case. Read from the sources of the whole tree.
 */
class TestNamesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern SNAKE = Pattern.compile("\\bvoid\\s+([a-z][A-Za-z0-9]*_[A-Za-z0-9_]*)\\s*\\(");

    @Test
    void everyTestMethodIsNamedInLowerCamelCase() throws IOException {
        List<String> snake = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")
                    && !p.toString().contains("/node_modules/") && !p.toString().contains("/target/")).toList()) {
                Matcher m = SNAKE.matcher(Files.readString(f));
                while (m.find()) snake.add(ROOT.relativize(f) + ": " + m.group(1));
            }
        }
        assertThat(snake).as("snake_case test methods (rename to lowerCamelCase)").isEmpty();
    }
}
