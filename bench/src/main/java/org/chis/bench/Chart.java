package org.chis.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** A grouped bar chart saved as PNG beside the Markdown table (XChart, headless). */
public final class Chart {
    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final List<String> categories;
    private final Map<String, List<Double>> series = new LinkedHashMap<>();

    public Chart(String title, String xTitle, String yTitle, List<String> categories) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
        this.categories = categories;
    }

    public Chart series(String name, List<Double> values) {
        series.put(name, values);
        return this;
    }

    public void savePng(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        chart.getStyler().setAvailableSpaceFill(0.8);
        series.forEach((name, values) -> chart.addSeries(name, categories, values));
        Files.createDirectories(file.toAbsolutePath().getParent());
        String name = file.getFileName().toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(chart, file.resolveSibling(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
