package dev.mithril.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private final List<String> calls = new ArrayList<>();

    /** A command that records its arguments and behaves as its first argument says. */
    private Command fake(String name) {
        return new Command() {
            @Override public String name() { return name; }
            @Override public String summary() { return name + " things"; }
            @Override public String usage() { return "usage: mithril " + name + "\n"; }
            @Override public int run(String[] args) {
                calls.add(name + " " + String.join(" ", args));
                if (args.length > 0 && args[0].equals("--bad")) throw new UsageException("unknown option '--bad'");
                if (args.length > 0 && args[0].equals("--boom")) throw new IllegalStateException("it broke");
                return 0;
            }
        };
    }

    private int run(String... args) {
        Main m = new Main(List.of(fake("run"), fake("info"), fake("run")), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return m.execute(args);
    }

    private String err() { return err.toString(StandardCharsets.UTF_8); }

    @Test
    void noArgumentsOrLeadingOptionRunsTheRunCommand() {
        assertEquals(0, run());
        assertEquals(0, run("--runs", "2"));
        assertEquals(List.of("run ", "run --runs 2"), calls);
    }

    @Test
    void dispatchesByName() {
        assertEquals(0, run("info", "x"));
        assertEquals(List.of("info x"), calls);
    }

    @Test
    void helpListsEveryCommandOnce() {
        assertEquals(0, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("  run   run things\n  info  info things\n"), help);
        assertEquals(help.indexOf("run things"), help.lastIndexOf("run things"));
        out.reset();
        assertEquals(0, run("help", "info"));
        assertEquals("usage: mithril info\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void unknownCommandExits2WithUsage() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err().startsWith("mithril: unknown command 'frobnicate'\nusage: mithril [COMMAND]"), err());
        assertTrue(calls.isEmpty());
    }

    @Test
    void usageErrorExits2WithTheCommandsUsage() {
        assertEquals(2, run("info", "--bad"));
        assertEquals("mithril info: unknown option '--bad'\nusage: mithril info\n", err());
    }

    @Test
    void failureExits1WithOneLine() {
        assertEquals(1, run("info", "--boom"));
        assertEquals("mithril info: error: it broke\n", err());
    }

    @Test
    void realRunCommandRejectsUnknownOptionsAndParsesItsOwn() {
        assertEquals(new RunCommand.Settings(List.of(32, 128, 1024), 10, 100, 1500), RunCommand.parse(new String[0]));
        assertEquals(new RunCommand.Settings(List.of(8), 2, 0, 0),
                RunCommand.parse(new String[] {"--batch-sizes", "8", "--runs=2", "--warmup", "0", "--warmup-ms", "0"}));
        Main m = new Main(List.of(new RunCommand(), new InfoCommand()), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, m.execute(new String[] {"--level", "full"}));
        assertTrue(err().startsWith("mithril run: unknown option '--level' (known: --batch-sizes, --runs, --warmup, --warmup-ms)\nusage: mithril [run]"), err());
    }

    @Test
    void maxAbsDiff() {
        assertEquals(0.5, RunCommand.maxAbsDiff(new float[] {1, 2, 3}, new float[] {1, 2.5f, 3}));
    }
}
