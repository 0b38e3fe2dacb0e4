package io.tailguard.bench.lab;

import io.tailguard.bench.report.Stats;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The lab's charts, drawn with XChart and saved as PNG. */
final class LabCharts {

    private static final Color[] COLORS = {new Color(120, 120, 120), new Color(214, 39, 40), new Color(31, 119, 180),
        new Color(44, 160, 44), new Color(148, 103, 189)};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;

    private LabCharts() {
    }

    /**
     * Latency against percentile, both on logarithmic scales drawn as linear axes with their own
     * labels (XChart's log axis does not take custom labels): x is log10(1 / (1 − p)), so p90, p99,
     * p99.9 are equally spaced and the tail gets the room it deserves; y is log10(latency in ms).
     */
    static void latencyCurves(Scenario s, List<LabResult> runs, Path file) throws IOException {
        XYChart chart = base(s.name + ": latency by percentile", "percentile", "latency (ms, log scale)");
        chart.getStyler().setyAxisTickLabelsFormattingFunction(LabCharts::millisLabel);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(LabCharts::percentileLabel);
        double maxNines = 0;
        double minLog = Double.MAX_VALUE;
        double maxLog = -Double.MAX_VALUE;
        for (int i = 0; i < runs.size(); i++) {
            LabResult r = runs.get(i);
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            // No further into the tail than the sample supports: 1,000 requests reach p99.9.
            double nines = Math.floor(Math.log10(Math.max(10, r.sortedLatency.length)));
            maxNines = Math.max(maxNines, nines);
            for (double x = 0; x <= nines + 1e-9; x += 0.01) {
                double p = 100 * (1 - Math.pow(10, -x));
                xs.add(x);
                double log = Math.log10(Math.max(0.1, Stats.percentile(r.sortedLatency, p) / 1e6));
                ys.add(log);
                minLog = Math.min(minLog, log);
                maxLog = Math.max(maxLog, log);
            }
            addLine(chart, r.label(), xs, ys, COLORS[i % COLORS.length]);
        }
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(maxNines);
        chart.getStyler().setYAxisMin(Math.floor(minLog)).setYAxisMax(Math.ceil(maxLog));
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Attempts ÷ primary attempts arriving at the server over sliding 1 s windows, with its capacity. */
    static void amplificationOverTime(Scenario s, List<LabResult> runs, Path file) throws IOException {
        XYChart chart = base(s.name + ": amplification over time (1 s windows)", "seconds since the load started",
                "attempts ÷ primary attempts");
        timeline(chart, runs, (r, b) -> r.windowAmplification(b));
        capacity(chart, s);
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(s.totalSeconds());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The share of logical requests that succeeded, by when they were scheduled (1 s windows). */
    static void successOverTime(Scenario s, List<LabResult> runs, Path file) throws IOException {
        XYChart chart = base(s.name + ": success rate by scheduled start (1 s windows)",
                "seconds since the load started", "succeeded (%)");
        timeline(chart, runs, (r, b) -> r.windowSuccessRate(b) * 100);
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(s.totalSeconds());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The server's queue length over time (100 ms means of the 10 ms samples), with its capacity. */
    static void queueOverTime(Scenario s, List<LabResult> runs, Path file) throws IOException {
        XYChart chart = base(s.name + ": server queue over time", "seconds since the load started",
                "requests waiting (limit " + s.queueLimit + ")");
        int per = 100 / LabServer.SAMPLE_MILLIS;
        for (int i = 0; i < runs.size(); i++) {
            int[] samples = runs.get(i).queueSamples;
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int from = 0; from + per <= samples.length; from += per) {
                double sum = 0;
                for (int j = from; j < from + per; j++) {
                    sum += samples[j];
                }
                xs.add((from + per) * LabServer.SAMPLE_MILLIS / 1000.0);
                ys.add(sum / per);
            }
            if (!xs.isEmpty()) {
                addLine(chart, runs.get(i).label(), xs, ys, COLORS[i % COLORS.length]);
            }
        }
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(s.totalSeconds());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** One line per run: {@code value} of each 1 s window of the load, plotted at the window's end. */
    private static void timeline(XYChart chart, List<LabResult> runs, WindowValue value) {
        for (int i = 0; i < runs.size(); i++) {
            LabResult r = runs.get(i);
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int b = LabResult.WINDOW_BINS - 1; b <= r.lastLoadBin(); b++) {
                double v = value.at(r, b);
                if (!Double.isNaN(v)) {
                    xs.add((b + 1) * LabResult.BIN_SECONDS);
                    ys.add(v);
                }
            }
            if (!xs.isEmpty()) {
                addLine(chart, r.label(), xs, ys, COLORS[i % COLORS.length]);
            }
        }
    }

    private static void addLine(XYChart chart, String name, List<Double> xs, List<Double> ys, Color color) {
        XYSeries series = chart.addSeries(name, xs, ys);
        series.setLineColor(color);
        series.setLineStyle(new BasicStroke(2f));
        series.setMarker(SeriesMarkers.NONE);
    }

    /** A run's value over the 1 s window ending with a bin. */
    private interface WindowValue {
        double at(LabResult run, int bin);
    }

    /** The server's capacity relative to normal (1.0, 0.5 in the brownout), as a dashed step line. */
    private static void capacity(XYChart chart, Scenario s) {
        double half = (double) s.brownoutWorkers / s.workers;
        double from = s.brownoutStart;
        double to = s.brownoutStart + s.brownoutSeconds;
        List<Double> xs = List.of(0.0, from, from, to, to, s.totalSeconds());
        List<Double> ys = List.of(1.0, 1.0, half, half, 1.0, 1.0);
        XYSeries series = chart.addSeries("server capacity (relative)", xs, ys);
        series.setLineColor(Color.BLACK);
        series.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {6f, 4f}, 0f));
        series.setMarker(SeriesMarkers.NONE);
    }

    private static XYChart base(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW).setAntiAlias(true)
                .setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        return chart;
    }

    /** Labels the nines axis with percentiles at whole nines: 1 → "90", 3 → "99.9"; nothing between. */
    static String percentileLabel(double nines) {
        double whole = Math.rint(nines);
        if (Math.abs(nines - whole) > 1e-6) {
            return "";
        }
        if (whole == 0) {
            return "p0";
        }
        return "p" + String.format(Locale.ROOT, "%." + (int) Math.max(0, whole - 2) + "f", 100 * (1 - Math.pow(10, -whole)));
    }

    /** Labels the log10(ms) axis at whole powers of ten: 0 → "1", 3 → "1,000"; nothing between. */
    static String millisLabel(double log) {
        double whole = Math.rint(log);
        if (Math.abs(log - whole) > 1e-6) {
            return "";
        }
        double ms = Math.pow(10, whole);
        return ms >= 1 ? String.format(Locale.ROOT, "%,.0f", ms) : String.format(Locale.ROOT, "%.1f", ms);
    }
}
