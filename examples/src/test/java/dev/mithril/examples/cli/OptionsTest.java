package dev.mithril.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OptionsTest {
    private static final Set<String> VALUED = Set.of("runs", "batch-sizes", "mode");
    private static final Set<String> FLAGS = Set.of("verbose");

    private static Options parse(String... args) { return Options.parse("t", args, VALUED, FLAGS); }

    @Test
    void valuesInBothFormsFlagsAndDefaults() {
        Options o = parse("--runs", "5", "--batch-sizes=1,2,3", "--verbose");
        assertEquals(5, o.intValue("runs", 10, 1));
        assertEquals(List.of(1, 2, 3), o.intList("batch-sizes", List.of(32), 1));
        assertTrue(o.has("verbose"));
        assertFalse(o.help());
        assertEquals(List.of("inference"), o.choices("mode", List.of("inference"), List.of("inference", "compile"), true));
        Options none = parse();
        assertEquals(10, none.intValue("runs", 10, 1));
        assertEquals(List.of(32), none.intList("batch-sizes", List.of(32), 1));
    }

    @Test
    void laterOccurrenceWinsAndHelpIsRecognized() {
        Options o = parse("--runs", "5", "-h", "--runs=7");
        assertEquals(7, o.intValue("runs", 10, 1));
        assertTrue(o.help());
    }

    @Test
    void choicesExpandAllAndRejectUnknownWords() {
        Options o = parse("--mode", "compile,ALL");
        assertEquals(List.of("compile", "inference"), o.choices("mode", List.of(), List.of("inference", "compile"), true));
        UsageException e = assertThrows(UsageException.class,
                () -> parse("--mode", "fast").choices("mode", List.of(), List.of("inference", "compile"), true));
        assertEquals("option --mode: unknown value 'fast' (one of inference, compile, all)", e.getMessage());
    }

    @Test
    void errorsNameTheOption() {
        assertEquals("unknown option '--run' (known: --batch-sizes, --mode, --runs, --verbose)",
                assertThrows(UsageException.class, () -> parse("--run", "3")).getMessage());
        assertEquals("option --runs needs a value", assertThrows(UsageException.class, () -> parse("--runs")).getMessage());
        assertEquals("option --runs needs a value", assertThrows(UsageException.class, () -> parse("--runs", "--verbose")).getMessage());
        assertEquals("option --verbose takes no value, got '--verbose=yes'",
                assertThrows(UsageException.class, () -> parse("--verbose=yes")).getMessage());
        assertEquals("unexpected argument 'extra' (options start with --)",
                assertThrows(UsageException.class, () -> parse("extra")).getMessage());
        assertEquals("option --runs: expected an integer, got 'ten'",
                assertThrows(UsageException.class, () -> parse("--runs", "ten").intValue("runs", 1, 1)).getMessage());
        assertEquals("option --runs: must be at least 1, got 0",
                assertThrows(UsageException.class, () -> parse("--runs", "0").intValue("runs", 1, 1)).getMessage());
        assertEquals("option --batch-sizes: expected an integer, got ''",
                assertThrows(UsageException.class, () -> parse("--batch-sizes", "32,,64").intList("batch-sizes", List.of(), 1)).getMessage());
    }
}
