package dev.mithril.examples.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.examples.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerateCommandTest {
    private static final String[] TINY = {"--vocab", "128", "--block-size", "32", "--layers", "2", "--heads", "4", "--width", "64"};

    private static String[] tiny(String... more) {
        String[] all = java.util.Arrays.copyOf(TINY, TINY.length + more.length);
        System.arraycopy(more, 0, all, TINY.length, more.length);
        return all;
    }

    @Test
    void printsTokensPerSecondForBothModesWithTheSameGreedyTokens() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        int code = new GenerateCommand(new PrintStream(sink, true)).run(tiny("--batch", "2", "--prompt-length", "4", "--tokens", "6",
                "--cache", "--no-cache", "--level", "none,full", "--seed", "3"));
        assertEquals(0, code);
        String text = sink.toString();
        List<String> rows = text.lines().filter(l -> l.contains("cache")).toList();
        // cache: compiled at none, hand-written once, compiled at full; no cache at none and full
        assertEquals(5, rows.size(), text);
        assertEquals(List.of("cache None", "cache hand-written", "no cache None", "cache Full", "no cache Full"),
                rows.stream().map(r -> { String[] c = r.trim().split("  +"); return c[0] + " " + c[1]; }).toList(), text);
        String tokens = rows.get(0).substring(rows.get(0).indexOf('['));
        for (String r : rows) assertTrue(r.endsWith(tokens), "same tokens in every row:\n" + text);
        assertTrue(text.contains("New tokens/s"), text);
    }

    @Test
    void rejectsPromptsLongerThanTheBlockAndBadSampling() {
        assertThrows(UsageException.class, () -> GenerateCommand.parse(tiny("--prompt-length", "30", "--tokens", "3")));
        assertThrows(UsageException.class, () -> GenerateCommand.parse(tiny("--tokens", "8", "--temperature", "-1")));
        assertThrows(UsageException.class, () -> GenerateCommand.parse(tiny("--tokens", "8", "--heads", "5")));
        GenerateCommand.Settings s = GenerateCommand.parse(tiny("--tokens", "8", "--temperature", "0.7", "--top-k", "5", "--no-cache"));
        assertTrue(s.noCache() && !s.cache());
        assertEquals(new Sampling(0.7, 5, 0), s.sampling());
    }
}
