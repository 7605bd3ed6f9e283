package dev.mithril.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data of one plot: named series of (x, y) points in insertion order. {@code categories} draws bars over
 * the x values (batch sizes); otherwise lines over numeric x (thread counts).
 */
record Chart(String id, String title, String xLabel, String yLabel, boolean categories, Map<String, Map<Integer, Double>> series) {
    Chart(String id, String title, String xLabel, String yLabel, boolean categories) {
        this(id, title, xLabel, yLabel, categories, new LinkedHashMap<>());
    }

    void add(String series, int x, double y) {
        if (Double.isFinite(y)) this.series.computeIfAbsent(series, s -> new LinkedHashMap<>()).put(x, y);
    }

    boolean isEmpty() { return series.isEmpty(); }
}
