package org.chis.openhim.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.chis.common.store.V2__saga_steps_in_journal;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/superset without Docker: the dashboard export (Superset's dashboard/chart/dataset YAML) reads only the
 * reporting views, in the schemas the mediators are configured with, and only columns and metrics those views have.
 * Each mediator's migrations (common's + its own + the repeatable views) are run on an H2 schema named like its
 * PostgreSQL one, and every dataset's columns and metric expressions are queried there.
 */
class WarehouseDashboardTest {
    static final Path EXPORT = DockerComposeTest.DOCKER.resolve("superset/chis_warehouse");
    static final Map<String, String> MEDIATOR_OF_SCHEMA = new HashMap<>();

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path p) throws Exception { return (Map<String, Object>) new Yaml().load(Files.readString(p)); }

    static List<Map<String, Object>> all(String folder) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(EXPORT.resolve(folder))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) out.add(yaml(p));
        }
        return out;
    }

    /**
     * An H2 database with every mediator's state schema, made by the mediators' own migrations (common's, SQL and Java,
     * then the mediator's), applied by Flyway from the source folders as {@code StateStore} applies them from the class path.
     */
    static Connection warehouse() throws Exception {
        Path repo = ShippedChannelsTest.repo();
        String url = "jdbc:h2:mem:warehouse-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        for (String m : List.of("commcare-openmrs", "referral", "dhis2", "sms-codecard")) {
            Properties props = new Properties();
            try (var in = Files.newInputStream(repo.resolve("mediator-configs/" + m + "/mediator.properties"))) {
                props.load(in);
            }
            String schema = props.getProperty("db.schema");
            MEDIATOR_OF_SCHEMA.put(schema, m);
            List<String> locations = new ArrayList<>(List.of("filesystem:" + repo.resolve("common/src/main/resources/db/common")));
            Path own = repo.resolve("mediators/" + m + "/src/main/resources/db/" + m);
            if (Files.isDirectory(own)) locations.add("filesystem:" + own);
            // H2 folds unquoted names to upper case: the dashboard's SQL names the schema unquoted
            String h2Schema = schema.toUpperCase(Locale.ROOT);
            Flyway.configure().dataSource(url, "", "").locations(locations.toArray(String[]::new)).outOfOrder(true)
                    .javaMigrations(new V2__saga_steps_in_journal()).schemas(h2Schema).defaultSchema(h2Schema).load().migrate();
        }
        return DriverManager.getConnection(url);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyDatasetIsAReportingViewWithTheColumnsAndMetricsTheExportNames() throws Exception {
        assertThat(yaml(EXPORT.resolve("metadata.yaml"))).containsEntry("type", "Dashboard");
        List<Map<String, Object>> databases = all("databases");
        assertThat(databases).hasSize(1);
        String dbUuid = String.valueOf(databases.get(0).get("uuid"));
        assertThat(String.valueOf(databases.get(0).get("sqlalchemy_uri"))).startsWith("postgresql+psycopg2://chis_reader:").endsWith("@postgres:5432/chis");

        List<Map<String, Object>> datasets = all("datasets");
        assertThat(datasets).isNotEmpty();
        try (Connection c = warehouse(); Statement st = c.createStatement()) {
            for (Map<String, Object> d : datasets) {
                String table = (String) d.get("table_name");
                String schema = (String) d.get("schema");
                assertThat(table).as("dataset %s reads a reporting view", table).startsWith("rpt_");
                assertThat(MEDIATOR_OF_SCHEMA).as("schema %s is a mediator's db.schema", schema).containsKey(schema);
                assertThat(String.valueOf(d.get("database_uuid"))).isEqualTo(dbUuid);
                List<String> columns = ((List<Map<String, Object>>) d.get("columns")).stream().map(col -> (String) col.get("column_name")).toList();
                assertThat(columns).contains((String) d.get("main_dttm_col"));
                st.executeQuery("SELECT " + String.join(", ", columns) + " FROM " + schema + "." + table + " WHERE 1 = 0").close();
                for (Map<String, Object> m : (List<Map<String, Object>>) d.get("metrics")) {
                    st.executeQuery("SELECT " + m.get("expression") + " FROM " + schema + "." + table).close();
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyChartUsesItsDatasetsMetricsAndColumnsAndTheDashboardPlacesEveryChart() throws Exception {
        Map<String, Map<String, Object>> datasets = new HashMap<>();
        for (Map<String, Object> d : all("datasets")) datasets.put(String.valueOf(d.get("uuid")), d);
        List<Map<String, Object>> charts = all("charts");
        for (Map<String, Object> chart : charts) {
            Map<String, Object> d = datasets.get(String.valueOf(chart.get("dataset_uuid")));
            assertThat(d).as("dataset of chart %s", chart.get("slice_name")).isNotNull();
            List<String> metrics = ((List<Map<String, Object>>) d.get("metrics")).stream().map(m -> (String) m.get("metric_name")).toList();
            List<String> columns = ((List<Map<String, Object>>) d.get("columns")).stream().map(col -> (String) col.get("column_name")).toList();
            Map<String, Object> params = (Map<String, Object>) chart.get("params");
            assertThat(params.get("viz_type")).isEqualTo(chart.get("viz_type"));
            List<String> usedMetrics = new ArrayList<>((List<String>) params.getOrDefault("metrics", List.of()));
            if (params.containsKey("metric")) usedMetrics.add((String) params.get("metric"));
            assertThat(metrics).as("metrics of %s", chart.get("slice_name")).containsAll(usedMetrics);
            List<String> usedColumns = new ArrayList<>((List<String>) params.getOrDefault("groupby", List.of()));
            usedColumns.addAll((List<String>) params.getOrDefault("all_columns", List.of()));
            if (params.containsKey("x_axis")) usedColumns.add((String) params.get("x_axis"));
            assertThat(columns).as("columns of %s", chart.get("slice_name")).containsAll(usedColumns);
        }
        Map<String, Object> dashboard = all("dashboards").get(0);
        List<String> placed = new ArrayList<>();
        ((Map<String, Object>) dashboard.get("position")).values().forEach(v -> {
            if (v instanceof Map<?, ?> node && "CHART".equals(node.get("type"))) placed.add(String.valueOf(((Map<String, Object>) node.get("meta")).get("uuid")));
        });
        assertThat(placed).containsExactlyInAnyOrderElementsOf(charts.stream().map(ch -> String.valueOf(ch.get("uuid"))).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeBuildsSupersetWithTheExportAndGivesPostgresTheReadOnlyLogin() throws Exception {
        Map<String, Object> superset = DockerComposeTest.service("superset");
        assertThat(((Map<String, Object>) superset.get("build")).get("context")).isEqualTo("./superset");
        assertThat((List<String>) superset.get("ports")).contains("8088:8088");
        assertThat(Files.readString(DockerComposeTest.DOCKER.resolve("superset/Dockerfile"))).contains("COPY chis_warehouse").contains("psycopg2");
        assertThat((List<String>) DockerComposeTest.service("postgres").get("volumes"))
                .contains("./postgres/reporting-reader.sql:/docker-entrypoint-initdb.d/reporting-reader.sql:ro");
        String reader = Files.readString(DockerComposeTest.DOCKER.resolve("postgres/reporting-reader.sql"));
        String uri = String.valueOf(all("databases").get(0).get("sqlalchemy_uri"));
        String password = uri.substring(uri.indexOf("chis_reader:") + "chis_reader:".length(), uri.indexOf('@'));
        assertThat(reader).contains("CREATE ROLE chis_reader LOGIN PASSWORD '" + password + "'");
    }
}
