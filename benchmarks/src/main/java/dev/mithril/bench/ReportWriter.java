package dev.mithril.bench;

import dev.mithril.examples.cli.TextTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints a {@link Report} as an aligned text table, Markdown, CSV or JSON. Same report, same bytes. */
public final class ReportWriter {
    private ReportWriter() {}

    public static String write(Report r, BenchOptions.Format format) {
        return switch (format) {
            case TABLE -> text(r);
            case MARKDOWN -> markdown(r);
            case CSV -> csv(r);
            case JSON -> json(r);
        };
    }

    /** Numbers for people: thousands grouped above 100, three significant decimals below. */
    static String human(Object v) {
        if (v instanceof Integer || v instanceof Long) return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) return "-";
            double a = Math.abs(d);
            if (a >= 100) return String.format(Locale.ROOT, "%,.0f", d);
            if (a >= 10) return String.format(Locale.ROOT, "%.1f", d);
            if (a >= 1) return String.format(Locale.ROOT, "%.2f", d);
            // tiny figures (the harness's share of a call) keep two significant digits instead of printing as zero
            if (a >= 0.001 || a == 0) return String.format(Locale.ROOT, "%.3f", d);
            return String.format(Locale.ROOT, "%.1e", d);
        }
        return String.valueOf(v);
    }

    /** Numbers for machines: integers as they are, doubles with full precision; NaN as an empty cell. */
    static String exact(Object v) {
        if (v instanceof Double d) return d.isNaN() ? "" : Double.toString(d);
        if (v instanceof Float f) return f.isNaN() ? "" : Float.toString(f);
        return String.valueOf(v);
    }

    static String text(Report r) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : r.environment().entrySet()) sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        for (Report.Table t : r.tables()) {
            sb.append('\n').append(t.title()).append('\n');
            TextTable tt = new TextTable(t.columns());
            for (List<Object> row : t.rows()) tt.row(row.stream().map(ReportWriter::human).toArray());
            sb.append(tt);
            for (String n : t.notes()) sb.append("  note: ").append(n).append('\n');
        }
        if (!r.notes().isEmpty()) sb.append('\n');
        for (String n : r.notes()) sb.append("note: ").append(n).append('\n');
        return sb.toString();
    }

    static String markdown(Report r) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : r.environment().entrySet()) {
            sb.append("- **").append(e.getKey()).append("**: ").append(md(e.getValue())).append('\n');
        }
        for (Report.Table t : r.tables()) {
            sb.append("\n### ").append(md(t.title())).append("\n\n| ");
            sb.append(String.join(" | ", t.columns().stream().map(ReportWriter::md).toList())).append(" |\n|");
            for (Object ignored : t.columns()) sb.append("---|");
            sb.append('\n');
            for (List<Object> row : t.rows()) {
                sb.append("| ").append(String.join(" | ", row.stream().map(v -> md(human(v))).toList())).append(" |\n");
            }
            if (!t.notes().isEmpty()) sb.append('\n');
            for (String n : t.notes()) sb.append("> ").append(md(n)).append('\n');
        }
        if (!r.notes().isEmpty()) sb.append('\n');
        for (String n : r.notes()) sb.append("- ").append(md(n)).append('\n');
        return sb.toString();
    }

    private static String md(String s) { return s.replace("|", "\\|"); }

    /**
     * One CSV block per table: a line {@code # title}, the header, the rows (RFC 4180 quoting); blocks are
     * separated by an empty line. The environment comes first as a two-column block.
     */
    static String csv(Report r) {
        StringBuilder sb = new StringBuilder("# environment\nkey,value\n");
        for (Map.Entry<String, String> e : r.environment().entrySet()) sb.append(csvCell(e.getKey())).append(',').append(csvCell(e.getValue())).append('\n');
        for (Report.Table t : r.tables()) sb.append('\n').append(csvTable(t));
        return sb.toString();
    }

    /** One table as CSV, with its title as a {@code #} comment line. */
    static String csvTable(Report.Table t) {
        StringBuilder sb = new StringBuilder("# ").append(t.title()).append('\n');
        sb.append(String.join(",", t.columns().stream().map(ReportWriter::csvCell).toList())).append('\n');
        for (List<Object> row : t.rows()) {
            List<String> cells = new ArrayList<>();
            for (Object v : row) cells.add(csvCell(exact(v)));
            sb.append(String.join(",", cells)).append('\n');
        }
        return sb.toString();
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    static String json(Report r) {
        StringBuilder sb = new StringBuilder("{\n  \"environment\": {");
        String sep = "\n";
        for (Map.Entry<String, String> e : r.environment().entrySet()) {
            sb.append(sep).append("    ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
            sep = ",\n";
        }
        sb.append(r.environment().isEmpty() ? "},\n" : "\n  },\n").append("  \"tables\": [");
        sep = "\n";
        for (Report.Table t : r.tables()) {
            sb.append(sep).append("    {\"id\": ").append(str(t.id())).append(", \"title\": ").append(str(t.title()))
                    .append(",\n     \"columns\": [").append(String.join(", ", t.columns().stream().map(ReportWriter::str).toList()))
                    .append("],\n     \"rows\": [");
            String rs = "\n";
            for (List<Object> row : t.rows()) {
                sb.append(rs).append("       {");
                for (int j = 0; j < row.size(); j++) {
                    sb.append(j == 0 ? "" : ", ").append(str(t.columns().get(j))).append(": ").append(value(row.get(j)));
                }
                sb.append('}');
                rs = ",\n";
            }
            sb.append(t.rows().isEmpty() ? "],\n" : "\n     ],\n").append("     \"notes\": [")
                    .append(String.join(", ", t.notes().stream().map(ReportWriter::str).toList())).append("]}");
            sep = ",\n";
        }
        sb.append(r.tables().isEmpty() ? "],\n" : "\n  ],\n").append("  \"notes\": [")
                .append(String.join(", ", r.notes().stream().map(ReportWriter::str).toList())).append("]\n}\n");
        return sb.toString();
    }

    private static String value(Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return Double.isNaN(d) || Double.isInfinite(d) ? "null" : exact(v);
        }
        return str(String.valueOf(v));
    }

    private static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
