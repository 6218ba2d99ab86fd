package org.chis.common.systems.commcare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;

/**
 * CommCare HQ: Case Data API v2 ({@code /a/<domain>/api/case/v2/}) and the form receiver
 * ({@code /a/<domain>/receiver/}), authenticated with {@code Authorization: ApiKey <user>:<key>}.
 * Settings: {@code commcare.url}, {@code commcare.domain}, {@code commcare.user}, {@code commcare.apiKey}; read on
 * every call ({@link #fromSettings}), so an edit pushed from the OpenHIM console applies to the next request.
 */
public final class CommCareClient {
    private static final MediaType XML = MediaType.get("text/xml; charset=utf-8");
    private static final Pattern NATURE = Pattern.compile("<message[^>]*nature=\"([^\"]*)\"[^>]*>(.*?)</message>", Pattern.DOTALL);
    private static final Pattern MESSAGE = Pattern.compile("<message[^>]*>(.*?)</message>", Pattern.DOTALL);
    private static final int MAX_PAGES = 10_000;

    private final RecordingHttpClient http;
    /** base = the project space's URL, {@code <commcare.url>/a/<domain>} */
    private final Supplier<Endpoint> endpoint;

    /** A client of one fixed project space (tests, tools). */
    public CommCareClient(RecordingHttpClient http, String baseUrl, String domain, String user, String apiKey) {
        this(http, Endpoint.fixed(endpoint(baseUrl, domain, user, apiKey)));
    }

    public CommCareClient(RecordingHttpClient http, Supplier<Endpoint> endpoint) {
        this.http = http;
        this.endpoint = endpoint;
    }

    /** Follows {@code commcare.url}, {@code commcare.domain}, {@code commcare.user}, {@code commcare.apiKey}; checks them once now. */
    public static CommCareClient fromSettings(RecordingHttpClient http, Settings s) {
        CommCareClient client = onDemand(http, s);
        client.endpoint.get();
        return client;
    }

    /**
     * Follows the same settings as {@link #fromSettings} but checks them at its first call, not now: for a mediator
     * that calls CommCare in some configurations only (dhis2's tracker import, referral's push-back).
     */
    public static CommCareClient onDemand(RecordingHttpClient http, Settings s) {
        return new CommCareClient(http, s.derived(c -> endpoint(c.require("commcare.url"), c.require("commcare.domain"),
                c.require("commcare.user"), c.get("commcare.apiKey", "")), "commcare.url", "commcare.domain", "commcare.user", "commcare.apiKey"));
    }

    private static Endpoint endpoint(String baseUrl, String domain, String user, String apiKey) {
        if (domain == null || domain.isBlank()) throw new ConfigException("commcare.domain is required");
        HttpUrl domainUrl = Endpoint.directory("commcare.url", baseUrl).newBuilder().addPathSegment("a").addPathSegment(domain).build();
        return new Endpoint(domainUrl, "ApiKey " + user + ":" + apiKey);
    }

    private HttpUrl.Builder domainUrl() { return endpoint.get().base().newBuilder(); }

    // ---------------------------------------------------------------- Case API v2: reads

    /** {@code GET v2/<case_id>}; 404 -> empty. */
    public Optional<CommCareCase> caseById(TransactionContext tx, String caseId) {
        HttpUrl url = caseApi().addPathSegment(caseId).build();
        UpstreamResponse r = send(tx, "CommCare get case", request(url).get().build());
        if (r.status() == 404) return Optional.empty();
        if (!r.ok()) throw error("get case " + caseId, r);
        return Optional.of(CommCareCase.fromJson(json("get case", r)));
    }

    /** {@code GET v2/ext/<external_id>/}; 404 -> empty. */
    public Optional<CommCareCase> caseByExternalId(TransactionContext tx, String externalId) {
        HttpUrl url = caseApi().addPathSegment("ext").addPathSegment(externalId).addPathSegment("").build();
        UpstreamResponse r = send(tx, "CommCare get case by external id", request(url).get().build());
        if (r.status() == 404) return Optional.empty();
        if (!r.ok()) throw error("get case by external id " + externalId, r);
        return Optional.of(CommCareCase.fromJson(json("get case by external id", r)));
    }

    /**
     * First page of {@code GET v2/?filters}. Filters as HQ names them: {@code case_type}, {@code external_id},
     * {@code owner_id}, {@code case_name}, {@code closed}, {@code properties.<name>}, {@code last_modified.gte}, {@code limit}.
     */
    public CasePage listCases(TransactionContext tx, Map<String, String> filters) {
        HttpUrl.Builder url = caseApi().addPathSegment("");
        filters.forEach(url::addQueryParameter);
        return page(tx, url.build());
    }

    /** The page after {@code page} (its cursor URL, re-based onto our configured HQ URL). */
    public CasePage nextPage(TransactionContext tx, CasePage page) {
        if (!page.hasNext()) throw new IllegalStateException("no next page");
        HttpUrl next = HttpUrl.parse(page.nextUrl());
        HttpUrl domainUrl = endpoint.get().base();
        HttpUrl url = next == null ? domainUrl.resolve(page.nextUrl())
                : next.newBuilder().scheme(domainUrl.scheme()).host(domainUrl.host()).port(domainUrl.port()).build();
        return page(tx, url);
    }

    /** Every case matching the filters, following cursors; stops with an error past {@code max} cases. */
    public List<CommCareCase> allCases(TransactionContext tx, Map<String, String> filters, int max) {
        List<CommCareCase> out = new ArrayList<>();
        CasePage p = listCases(tx, filters);
        for (int i = 0; i < MAX_PAGES; i++) {
            out.addAll(p.cases());
            if (out.size() > max) throw new UpstreamException("CommCare list cases: more than " + max + " cases match " + filters, 0);
            if (!p.hasNext() || p.cases().isEmpty()) return out;
            p = nextPage(tx, p);
        }
        return out;
    }

    private CasePage page(TransactionContext tx, HttpUrl url) {
        UpstreamResponse r = send(tx, "CommCare list cases", request(url).get().build());
        if (!r.ok()) throw error("list cases", r);
        JsonNode body = json("list cases", r);
        List<CommCareCase> cases = new ArrayList<>();
        body.path("cases").forEach(c -> cases.add(CommCareCase.fromJson(c)));
        JsonNode next = body.path("next");
        String nextUrl = null;
        if (next.isTextual() && !next.asText().isEmpty()) nextUrl = next.asText();
        else if (next.isObject() && next.hasNonNull("cursor")) {
            nextUrl = caseApi().addPathSegment("").addQueryParameter("cursor", next.get("cursor").asText()).build().toString();
        }
        return new CasePage(body.path("matching_records").asLong(cases.size()), cases, nextUrl);
    }

    // ---------------------------------------------------------------- Case API v2: writes

    /**
     * {@code POST v2/} with {@code case_type, case_name, owner_id, external_id?, properties{}, indices?}; returns the
     * created case. HQ picks the case id (it refuses a client one), so prefer a form submission with a case block
     * when the id must be known before the call.
     */
    public CommCareCase createCase(TransactionContext tx, ObjectNode body) {
        UpstreamResponse r = send(tx, "CommCare create case", request(caseApi().addPathSegment("").build())
                .post(RecordingHttpClient.jsonBody(Json.write(body))).build());
        if (!r.ok()) throw error("create case", r);
        return CommCareCase.fromJson(json("create case", r).path("case"));
    }

    /** {@code PUT v2/<case_id>} with {@code properties{}}, {@code case_name}, {@code owner_id}, {@code close}... */
    public CommCareCase updateCase(TransactionContext tx, String caseId, ObjectNode body) {
        UpstreamResponse r = send(tx, "CommCare update case", request(caseApi().addPathSegment(caseId).build())
                .put(RecordingHttpClient.jsonBody(Json.write(body))).build());
        if (!r.ok()) throw error("update case " + caseId, r);
        return CommCareCase.fromJson(json("update case", r).path("case"));
    }

    // ---------------------------------------------------------------- form submission

    /**
     * Submits an XForm (with case blocks) to {@code /a/<domain>/receiver/}. 201 {@code submit_success} is success;
     * 422 {@code processing_failure} and 4xx are rejections ({@link CommCareException#rejected()}); 5xx are faults.
     */
    public SubmissionResult submit(TransactionContext tx, FormSubmission form) { return submit(tx, form.toXml()); }

    public SubmissionResult submit(TransactionContext tx, String xformXml) {
        HttpUrl url = domainUrl().addPathSegment("receiver").addPathSegment("").build();
        UpstreamResponse r = send(tx, "CommCare submit form", request(url).header("Accept", "text/xml")
                .post(RequestBody.create(xformXml.getBytes(StandardCharsets.UTF_8), XML)).build());
        SubmissionResult result = openRosa(r);
        if (!result.accepted()) {
            throw new CommCareException("CommCare form submission: HTTP " + r.status()
                    + (result.nature() == null ? "" : " " + result.nature()) + (result.message() == null ? "" : ": " + result.message()), r.status());
        }
        return result;
    }

    static SubmissionResult openRosa(UpstreamResponse r) {
        String body = r.body() == null ? "" : r.body();
        Matcher m = NATURE.matcher(body);
        if (m.find()) return new SubmissionResult(r.status(), m.group(1), m.group(2).trim());
        Matcher plain = MESSAGE.matcher(body);
        if (plain.find()) return new SubmissionResult(r.status(), null, plain.group(1).trim());
        return new SubmissionResult(r.status(), null, body.length() > 300 ? body.substring(0, 300) : body.trim());
    }

    // ---------------------------------------------------------------- plumbing

    private HttpUrl.Builder caseApi() {
        return domainUrl().addPathSegment("api").addPathSegment("case").addPathSegment("v2");
    }

    private Request.Builder request(HttpUrl url) {
        return new Request.Builder().url(url).header("Authorization", endpoint.get().authorization()).header("Accept", "application/json");
    }

    private UpstreamResponse send(TransactionContext tx, String name, Request request) {
        UpstreamResponse r = http.send(tx, Orchestration.name("CommCare", name), request);
        if (r.status() == 401 || r.status() == 403) {
            throw new CommCareException(name + ": HQ answered " + r.status() + " (check commcare.user/commcare.apiKey and the user's permissions)", r.status());
        }
        return r;
    }

    private static CommCareException error(String what, UpstreamResponse r) {
        String message = null;
        try {
            JsonNode j = r.json();
            if (j.hasNonNull("error")) message = j.get("error").asText();
        } catch (RuntimeException notJson) {
            // HTML error page: fall back to the start of the body
        }
        if (message == null && r.body() != null) message = r.body().length() > 300 ? r.body().substring(0, 300) + "..." : r.body();
        return new CommCareException("CommCare " + what + ": HTTP " + r.status() + (message == null || message.isBlank() ? "" : " " + message), r.status());
    }

    private static JsonNode json(String what, UpstreamResponse r) {
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("CommCare " + what + ": unreadable answer (" + e.getMessage() + ")", r.status(), e);
        }
    }
}
