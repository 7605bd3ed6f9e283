package dev.mithril.examples.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The {@code mithril} command line: {@code mithril [COMMAND] [OPTIONS]}. Commands are the built-in
 * {@link RunCommand} and {@link InfoCommand} plus every {@link Command} registered with {@link ServiceLoader}
 * (the benchmarks module adds {@code bench}). No exception escapes: bad usage exits 2 with the usage printed,
 * any other failure exits 1 with a one-line message ({@code -Dmithril.stacktrace=true} adds the stack trace).
 */
public final class Main {
    private final Map<String, Command> commands;
    private final PrintStream out, err;

    Main(List<Command> commands, PrintStream out, PrintStream err) {
        this.commands = new LinkedHashMap<>();
        for (Command c : commands) this.commands.putIfAbsent(c.name(), c);
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int code = new Main(discover(), System.out, System.err).execute(args);
        System.out.flush();
        System.exit(code);
    }

    /** The built-in commands followed by those found on the class path, in service-file order. */
    static List<Command> discover() {
        List<Command> all = new ArrayList<>(List.of(new RunCommand(), new InfoCommand()));
        for (Command c : ServiceLoader.load(Command.class, Main.class.getClassLoader())) all.add(c);
        return all;
    }

    /** Runs {@code args} and returns the exit code. */
    int execute(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            if (args.length > 1 && commands.containsKey(args[1])) out.print(commands.get(args[1]).usage());
            else out.print(usage());
            return 0;
        }
        Command command;
        String[] rest;
        if (args.length == 0 || args[0].startsWith("-")) {
            command = commands.get("run");
            rest = args;
        } else {
            command = commands.get(args[0]);
            rest = Arrays.copyOfRange(args, 1, args.length);
            if (command == null) {
                err.println("mithril: unknown command '" + args[0] + "'");
                err.print(usage());
                return 2;
            }
        }
        try {
            return command.run(rest);
        } catch (UsageException e) {
            err.println("mithril " + command.name() + ": " + e.getMessage());
            err.print(command.usage());
            return 2;
        } catch (RuntimeException | Error e) {
            err.println("mithril " + command.name() + ": error: " + describe(e));
            if (Boolean.getBoolean("mithril.stacktrace")) e.printStackTrace(err);
            return 1;
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getName() : m;
    }

    String usage() {
        StringBuilder sb = new StringBuilder("usage: mithril [COMMAND] [OPTIONS]   (no command: run)\n\ncommands:\n");
        int w = commands.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Command c : commands.values()) {
            sb.append("  ").append(c.name()).append(" ".repeat(w - c.name().length() + 2)).append(c.summary()).append('\n');
        }
        sb.append("\n'mithril COMMAND --help' describes a command's options.\n");
        return sb.toString();
    }
}
