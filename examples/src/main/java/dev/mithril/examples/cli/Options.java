package dev.mithril.examples.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GNU-style long options for one command: {@code --name value} or {@code --name=value} for valued
 * options, {@code --name} for flags, {@code --help}/{@code -h} everywhere. Anything else is a
 * {@link UsageException} naming the offending argument; positional arguments are not accepted.
 */
public final class Options {
    private final String command;
    private final Map<String, String> values;
    private final boolean help;

    private Options(String command, Map<String, String> values, boolean help) {
        this.command = command;
        this.values = values;
        this.help = help;
    }

    /**
     * Parses {@code args}; {@code valued} and {@code flags} are the option names without dashes. A later
     * occurrence of an option replaces an earlier one, as in most Unix tools.
     */
    public static Options parse(String command, String[] args, Set<String> valued, Set<String> flags) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) { help = true; continue; }
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("unexpected argument '" + a + "' (options start with --)");
            }
            int eq = a.indexOf('=');
            String name = a.substring(2, eq < 0 ? a.length() : eq);
            if (flags.contains(name)) {
                if (eq >= 0) throw new UsageException("option --" + name + " takes no value, got '" + a + "'");
                values.put(name, "true");
            } else if (valued.contains(name)) {
                String v;
                if (eq >= 0) v = a.substring(eq + 1);
                else if (i + 1 < args.length && !args[i + 1].startsWith("--")) v = args[++i];
                else throw new UsageException("option --" + name + " needs a value");
                if (v.isBlank()) throw new UsageException("option --" + name + " needs a value");
                values.put(name, v.trim());
            } else {
                throw new UsageException("unknown option '--" + name + "'" + suggestion(name, valued, flags));
            }
        }
        return new Options(command, values, help);
    }

    private static String suggestion(String name, Set<String> valued, Set<String> flags) {
        List<String> known = new ArrayList<>(valued);
        known.addAll(flags);
        known.sort(null);
        return known.isEmpty() ? " (this command takes no options)" : " (known: --" + String.join(", --", known) + ")";
    }

    /** Whether {@code --help} or {@code -h} was given. */
    public boolean help() { return help; }

    /** Whether the option (valued or flag) was given. */
    public boolean has(String name) { return values.containsKey(name); }

    /** The option's value, or {@code def} when absent. */
    public String get(String name, String def) { return values.getOrDefault(name, def); }

    /** The option's value as an integer of at least {@code min}, or {@code def} when absent. */
    public int intValue(String name, int def, int min) {
        String v = values.get(name);
        return v == null ? def : parseInt(name, v, min);
    }

    /** A comma-separated list of integers, each at least {@code min}, or {@code def} when absent. */
    public List<Integer> intList(String name, List<Integer> def, int min) {
        String v = values.get(name);
        if (v == null) return def;
        List<Integer> out = new ArrayList<>();
        for (String part : v.split(",", -1)) out.add(parseInt(name, part.trim(), min));
        return List.copyOf(out);
    }

    /**
     * A comma-separated list of words, each one of {@code allowed}; the word {@code all} (when {@code all}
     * is true) stands for every allowed word. Returns {@code def} when absent.
     */
    public List<String> choices(String name, List<String> def, List<String> allowed, boolean all) {
        String v = values.get(name);
        if (v == null) return def;
        List<String> out = new ArrayList<>();
        for (String part : v.split(",", -1)) {
            String w = part.trim().toLowerCase(java.util.Locale.ROOT);
            if (all && w.equals("all")) {
                for (String a : allowed) if (!out.contains(a)) out.add(a);
            } else if (allowed.contains(w)) {
                if (!out.contains(w)) out.add(w);
            } else {
                throw new UsageException("option --" + name + ": unknown value '" + part.trim() + "' (one of "
                        + String.join(", ", allowed) + (all ? ", all" : "") + ")");
            }
        }
        return List.copyOf(out);
    }

    private static int parseInt(String name, String v, int min) {
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + ": expected an integer, got '" + v + "'");
        }
        if (n < min) throw new UsageException("option --" + name + ": must be at least " + min + ", got " + n);
        return n;
    }

    @Override public String toString() { return command + " " + values + (help ? " --help" : ""); }

    static Set<String> names(String... names) { return Set.copyOf(Arrays.asList(names)); }
}
