package io.tailguard.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A markdown document built line by line, with tables. */
public final class Markdown {

    private final StringBuilder text = new StringBuilder();

    public Markdown heading(int level, String title) {
        text.append("#".repeat(level)).append(' ').append(title).append("\n\n");
        return this;
    }

    public Markdown paragraph(String paragraph) {
        text.append(paragraph).append("\n\n");
        return this;
    }

    public Markdown raw(String markdown) {
        text.append(markdown);
        return this;
    }

    public Markdown image(String alt, String file) {
        text.append("![").append(alt).append("](").append(file).append(")\n\n");
        return this;
    }

    public Table table(String... columns) {
        return new Table(columns);
    }

    @Override
    public String toString() {
        return text.toString();
    }

    /** Formats a number with {@code decimals} decimals, or a dash for NaN. */
    public static String num(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** A figure with its interval, {@code {point, low, high}}: {@code 1.23 [0.45 – 2.01]}. */
    public static String interval(double[] ci, int decimals) {
        return num(ci[0], decimals) + " [" + num(ci[1], decimals) + " – " + num(ci[2], decimals) + "]";
    }

    /** A table whose rows are added one at a time and written with {@link #end()}. */
    public final class Table {
        private final String[] columns;
        private final List<String[]> rows = new ArrayList<>();

        Table(String[] columns) {
            this.columns = columns;
        }

        public Table row(Object... cells) {
            String[] row = new String[columns.length];
            for (int i = 0; i < columns.length; i++) {
                row[i] = i < cells.length && cells[i] != null ? cells[i].toString().replace("|", "\\|") : "";
            }
            rows.add(row);
            return this;
        }

        public Markdown end() {
            text.append('|');
            for (String c : columns) {
                // A leading '-' only asks for a left-aligned column.
                text.append(' ').append(c.startsWith("-") ? c.substring(1) : c).append(" |");
            }
            text.append("\n|");
            for (String c : columns) {
                text.append(c.startsWith("-") ? " :--- |" : " ---: |");
            }
            text.append('\n');
            for (String[] row : rows) {
                text.append('|');
                for (String cell : row) {
                    text.append(' ').append(cell).append(" |");
                }
                text.append('\n');
            }
            text.append('\n');
            return Markdown.this;
        }
    }
}
