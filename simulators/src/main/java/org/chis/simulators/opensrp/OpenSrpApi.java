package org.chis.simulators.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.chis.common.json.Json;

/**
 * Answers like opensrp-server-web's {@code EventResource}: {@code POST /rest/event/add} ({@code {"clients":[..],
 * "events":[..]}}, 400 when it has neither, else 201 without a body) and {@code GET /rest/event/findById?id=}
 * (the event, or an empty 200 when there is none: the controller returns null). HTTP Basic, 401 without it.
 */
final class OpenSrpApi implements ResponseDefinitionTransformerV2 {
    static final String NAME = "opensrp-api";

    private final EventStore events;
    private final String contextPath;
    private final String basic;

    OpenSrpApi(EventStore events, String contextPath, String user, String password) {
        this.events = events;
        this.contextPath = contextPath;
        this.basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String getName() { return NAME; }

    @Override
    public boolean applyGlobally() { return false; }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        Request req = serveEvent.getRequest();
        if (!basic.equals(req.getHeader("Authorization"))) {
            return new ResponseDefinitionBuilder().withStatus(401).withHeader("WWW-Authenticate", "Basic realm=\"OpenSRP\"").build();
        }
        String path = req.getUrl().split("\\?")[0].substring(contextPath.length());
        String method = req.getMethod().getName();
        if (method.equals("POST") && path.equals("/rest/event/add")) return add(req);
        if (method.equals("GET") && path.equals("/rest/event/findById")) return findById(req);
        return new ResponseDefinitionBuilder().withStatus(404).build();
    }

    private ResponseDefinition add(Request req) {
        JsonNode body;
        try {
            body = Json.parse(req.getBodyAsString());
        } catch (RuntimeException e) {
            return new ResponseDefinitionBuilder().withStatus(500).build(); // the controller's catch-all
        }
        if (!body.has("clients") && !body.has("events")) return new ResponseDefinitionBuilder().withStatus(400).build();
        // like the real server: an event it cannot save is logged and skipped, the answer is still 201
        for (JsonNode e : body.path("events")) {
            if (e.isObject()) events.addOrUpdate((ObjectNode) e);
        }
        return new ResponseDefinitionBuilder().withStatus(201).build();
    }

    private ResponseDefinition findById(Request req) {
        var id = req.queryParameter("id");
        var found = id.isPresent() ? events.byId(id.firstValue()) : java.util.Optional.<ObjectNode>empty();
        return new ResponseDefinitionBuilder().withStatus(200).withHeader("Content-Type", "application/json;charset=UTF-8")
                .withBody(found.map(Json::write).orElse("")).build();
    }
}
