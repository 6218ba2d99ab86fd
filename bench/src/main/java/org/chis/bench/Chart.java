package org.chis.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * A grouped bar chart saved as PNG beside the Markdown table (XChart, headless). Figures with different units
 * (req/s and ms) go in panels side by side ({@link #beside}) rather than on one shared axis.
 */
public final class Chart {
    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final List<String> categories;
    private final Map<String, List<Double>> series = new LinkedHashMap<>();
    private final List<Chart> besides = new ArrayList<>();

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

    /** Another panel to the right of this one, in the same PNG (its own axes and categories). */
    public Chart beside(Chart panel) {
        besides.add(panel);
        return this;
    }

    public void savePng(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<CategoryChart> panels = new ArrayList<>();
        panels.add(build(1000));
        for (Chart c : besides) panels.add(c.build(1000));
        Files.createDirectories(file.toAbsolutePath().getParent());
        String name = file.getFileName().toString().replaceFirst("\\.png$", "");
        String target = file.resolveSibling(name).toString();
        if (panels.size() == 1) BitmapEncoder.saveBitmap(panels.get(0), target, BitmapEncoder.BitmapFormat.PNG);
        else BitmapEncoder.saveBitmap(panels, 1, panels.size(), target, BitmapEncoder.BitmapFormat.PNG);
    }

    private CategoryChart build(int width) {
        CategoryChart chart = new CategoryChartBuilder().width(width).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setYAxisDecimalPattern("#,##0.#"); // 1,300,000 rather than 1.3E6
        series.forEach((name, values) -> chart.addSeries(name, categories, values));
        return chart;
    }
}
