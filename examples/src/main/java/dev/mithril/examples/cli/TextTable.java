package dev.mithril.examples.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns, for terminals: text columns left-aligned, numbers right-aligned.
 *
 * <pre>{@code
 * TextTable t = new TextTable("Level", "Throughput (samples/s)");
 * t.row("Full", "51,200");
 * System.out.print(t);
 * }</pre>
 */
public final class TextTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public TextTable(String... header) { this(List.of(header)); }

    public TextTable(List<String> header) { this.header = List.copyOf(header); }

    /** Adds a row; it must have one cell per column. */
    public TextTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("TextTable.row: " + cells.length + " cells for " + header.size() + " columns " + header);
        }
        List<String> r = new ArrayList<>();
        for (Object c : cells) r.add(String.valueOf(c));
        rows.add(r);
        return this;
    }

    @Override public String toString() {
        int n = header.size();
        int[] width = new int[n];
        boolean[] numeric = new boolean[n];
        for (int j = 0; j < n; j++) {
            width[j] = header.get(j).length();
            numeric[j] = !rows.isEmpty();
            for (List<String> r : rows) {
                width[j] = Math.max(width[j], r.get(j).length());
                numeric[j] &= looksNumeric(r.get(j));
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width, numeric);
        for (int j = 0; j < n; j++) sb.append(j == 0 ? "" : "  ").append("-".repeat(width[j]));
        sb.append('\n');
        for (List<String> r : rows) line(sb, r, width, numeric);
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width, boolean[] numeric) {
        StringBuilder l = new StringBuilder();
        for (int j = 0; j < cells.size(); j++) {
            if (j > 0) l.append("  ");
            String c = cells.get(j), pad = " ".repeat(width[j] - c.length());
            l.append(numeric[j] ? pad + c : c + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** Numbers as printed here: digits with separators, a decimal point, a sign, a trailing unit like x or %. */
    static boolean looksNumeric(String s) {
        return s.matches("[-+]?[0-9][0-9,]*(\\.[0-9]+)?\\s*(x|%|ms|s)?") || s.equals("-");
    }
}
