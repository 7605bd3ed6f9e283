package dev.mithril.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** Draws {@link dev.mithril.bench.Chart}s as PNG files with XChart, titled and with units on both axes. */
final class Plots {
    private static final int WIDTH = 900, HEIGHT = 560;

    private Plots() {}

    /** Writes {@code <id>.png} into {@code dir} for each non-empty chart; returns the files written. */
    static List<Path> write(List<dev.mithril.bench.Chart> charts, Path dir) {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        for (dev.mithril.bench.Chart c : charts) {
            if (c.isEmpty()) continue;
            Chart<?, ?> chart = c.categories() ? bars(c) : lines(c);
            Path file = dir.resolve(c.id() + ".png");
            try {
                BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write the plot " + file + ": " + e.getMessage(), e);
            }
            written.add(file);
        }
        return written;
    }

    private static CategoryChart bars(dev.mithril.bench.Chart c) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(c.title())
                .xAxisTitle(c.xLabel()).yAxisTitle(c.yLabel()).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        TreeSet<Integer> xs = new TreeSet<>();
        c.series().values().forEach(s -> xs.addAll(s.keySet()));
        List<String> labels = xs.stream().map(String::valueOf).toList();
        for (Map.Entry<String, Map<Integer, Double>> e : c.series().entrySet()) {
            // a bar chart needs every category in every series; a series with holes (a failed peer run) is left out
            if (!e.getValue().keySet().containsAll(xs)) continue;
            chart.addSeries(e.getKey(), labels, xs.stream().map(e.getValue()::get).toList());
        }
        return chart;
    }

    private static XYChart lines(dev.mithril.bench.Chart c) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(c.title())
                .xAxisTitle(c.xLabel()).yAxisTitle(c.yLabel()).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        for (Map.Entry<String, Map<Integer, Double>> e : c.series().entrySet()) {
            List<Integer> x = new ArrayList<>(new TreeSet<>(e.getValue().keySet()));
            chart.addSeries(e.getKey(), x, x.stream().map(e.getValue()::get).toList());
        }
        return chart;
    }
}
