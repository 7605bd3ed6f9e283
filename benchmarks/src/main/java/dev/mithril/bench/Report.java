package dev.mithril.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a bench run found, independent of how it is printed: the environment (hardware, software, protocol),
 * result tables, and notes (what was skipped and why). Cells are {@link String}s or {@link Number}s; numbers
 * are printed rounded in text formats and exactly in CSV and JSON.
 */
public final class Report {
    /** A titled table; {@code id} names its files and plots, e.g. {@code inference}. */
    public record Table(String id, String title, List<String> columns, List<List<Object>> rows, List<String> notes) {
        public Table {
            columns = List.copyOf(columns);
            for (List<Object> r : rows) {
                if (r.size() != columns.size()) {
                    throw new IllegalArgumentException("table '" + id + "': row " + r + " has " + r.size() + " cells for "
                            + columns.size() + " columns " + columns);
                }
            }
            rows = List.copyOf(rows.stream().map(r -> List.copyOf(r)).toList());
            notes = List.copyOf(notes);
        }
    }

    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<Table> tables = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public Report environment(String key, Object value) { environment.put(key, String.valueOf(value)); return this; }

    public Report table(Table t) { tables.add(t); return this; }

    public Report note(String note) { notes.add(note); return this; }

    /** In insertion order. */
    public Map<String, String> environment() { return java.util.Collections.unmodifiableMap(environment); }

    public List<Table> tables() { return List.copyOf(tables); }

    public List<String> notes() { return List.copyOf(notes); }
}
