package org.chis.common.systems.openmrs;

import com.rometools.rome.feed.atom.Category;
import com.rometools.rome.feed.atom.Content;
import com.rometools.rome.feed.atom.Entry;
import com.rometools.rome.feed.atom.Feed;
import com.rometools.rome.feed.atom.Link;
import com.rometools.rome.feed.WireFeed;
import com.rometools.rome.io.FeedException;
import com.rometools.rome.io.SAXBuilder;
import com.rometools.rome.io.WireFeedInput;
import com.rometools.rome.io.impl.XmlFixerReader;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;
import org.jdom2.JDOMException;

/**
 * Reads OpenMRS atom feed pages ({@code <base>/ws/atomfeed/{category}/recent|{n}}) with Rome. Archive links
 * are followed by the caller (it decides how far a bounded batch goes). Link URLs in a feed carry the
 * publisher's own host name; they are re-based onto our configured OpenMRS URL so a proxy or container
 * host name does not lead us astray.
 */
public final class AtomFeedReader {
    /** One Rome input per thread (pages are read on a few read-ahead threads); see {@link AtomInput}. */
    private static final ThreadLocal<AtomInput> ATOM = ThreadLocal.withInitial(AtomInput::new);

    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    /** A reader of one fixed OpenMRS (tests, tools). */
    public AtomFeedReader(RecordingHttpClient http, String baseUrl, String user, String password) {
        this(http, Endpoint.fixed(OpenMrsClient.endpoint(baseUrl, user, password)));
    }

    public AtomFeedReader(RecordingHttpClient http, Supplier<Endpoint> endpoint) {
        this.http = http;
        this.endpoint = endpoint;
    }

    /** Follows {@code openmrs.url}, {@code openmrs.user}, {@code openmrs.password} per call; checks them once now. */
    public static AtomFeedReader fromSettings(RecordingHttpClient http, Settings s) {
        AtomFeedReader reader = new AtomFeedReader(http, OpenMrsClient.liveEndpoint(s));
        reader.endpoint.get();
        return reader;
    }

    private HttpUrl base() { return endpoint.get().base(); }

    /** URL of the newest page of a feed ("patient", "encounter"). */
    public String recentUrl(String category) { return base().resolve("ws/atomfeed/" + category + "/recent").toString(); }

    /** URL of archive page {@code n} (1 = oldest). */
    public String pageUrl(String category, int n) { return base().resolve("ws/atomfeed/" + category + "/" + n).toString(); }

    public FeedPage recent(TransactionContext tx, String category) { return page(tx, recentUrl(category)); }

    /** Reads one page by URL (a stored marker page or an archive link). */
    public FeedPage page(TransactionContext tx, String url) {
        HttpUrl target = rebase(url);
        UpstreamResponse r = http.send(tx, Orchestration.name("OpenMRS", "feed page " + shortName(target)), new Request.Builder().url(target)
                .header("Authorization", endpoint.get().authorization()).header("Accept", "application/atom+xml").get().build());
        if (r.status() == 500 && r.body() != null
                && (r.body().contains("feed does not exist") || r.body().contains("feedId must not be null"))) {
            throw new FeedPageMissingException("OpenMRS feed page " + target + " does not exist (was the OpenMRS database rebuilt?)", 500);
        }
        if (r.status() == 401) throw new UpstreamException("OpenMRS feed: 401 (check openmrs.user/openmrs.password)", 401);
        if (!r.ok()) throw new UpstreamException("OpenMRS feed page " + target + ": HTTP " + r.status(), r.status());
        return parse(r.body(), target.toString());
    }

    private static String shortName(HttpUrl url) {
        List<String> s = url.pathSegments();
        return s.size() >= 2 ? s.get(s.size() - 2) + "/" + s.get(s.size() - 1) : url.encodedPath();
    }

    /** Parses an atom document; links are re-based onto the configured OpenMRS URL. */
    public FeedPage parse(String xml, String requestedUrl) {
        WireFeed wire;
        try {
            wire = ATOM.get().read(xml);
        } catch (FeedException | JDOMException | IOException | IllegalArgumentException e) {
            ATOM.remove(); // a fresh parser for the next page, whatever state this one was left in
            throw new UpstreamException("OpenMRS feed page " + requestedUrl + " is not a readable atom feed: " + e.getMessage(), 502, e);
        }
        if (!(wire instanceof Feed feed)) {
            throw new UpstreamException("OpenMRS feed page " + requestedUrl + " is " + wire.getFeedType() + ", not atom", 502);
        }
        String self = null, via = null, prev = null, next = null;
        List<Link> links = new ArrayList<>(feed.getOtherLinks());
        links.addAll(feed.getAlternateLinks());
        for (Link l : links) {
            String rel = l.getRel() == null ? "alternate" : l.getRel();
            switch (rel) {
                case "self" -> self = rebaseText(l.getHrefResolved() != null ? l.getHrefResolved() : l.getHref());
                case "via" -> via = rebaseText(l.getHref());
                case "prev-archive" -> prev = rebaseText(l.getHref());
                case "next-archive" -> next = rebaseText(l.getHref());
                default -> { }
            }
        }
        List<FeedEntry> entries = new ArrayList<>();
        for (Entry e : feed.getEntries()) {
            List<String> cats = new ArrayList<>();
            for (Category c : e.getCategories()) if (c.getTerm() != null) cats.add(c.getTerm());
            StringBuilder content = new StringBuilder();
            for (Content c : e.getContents()) if (c.getValue() != null) content.append(c.getValue());
            entries.add(new FeedEntry(e.getId(), e.getTitle(), cats, instant(e.getUpdated()), instant(e.getPublished()),
                    contentText(content.toString())));
        }
        return new FeedPage(self == null ? requestedUrl : self, via, prev, next, instant(feed.getUpdated()), entries);
    }

    /**
     * Rome's {@link WireFeedInput} with the SAX builder it configures (no DOCTYPE, no external entities, entities not
     * expanded; its XML healer in front) made once and kept: {@code build(Reader)} makes a new builder and two new
     * Xerces parsers for every page, which cost more CPU than the page's 5 entries (JFR: XML11Configuration set-up on
     * the page-ahead threads). Rome still turns the document into the feed. Not thread-safe: one per thread.
     */
    private static final class AtomInput extends WireFeedInput {
        private final SAXBuilder builder = createSAXBuilder();

        WireFeed read(String xml) throws JDOMException, IOException, FeedException {
            return build(builder.build(new XmlFixerReader(new StringReader(xml))));
        }
    }

    /**
     * Rome treats {@code application/vnd.atomfeed+xml} content as XML and hands back the element's inner markup
     * verbatim, CDATA markers and entity escapes included; the publishers mean plain text (a path or JSON).
     */
    static String contentText(String raw) {
        String t = raw == null ? "" : raw.trim();
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < t.length()) {
            int cdata = t.indexOf("<![CDATA[", i);
            if (cdata < 0) {
                out.append(unescape(t.substring(i)));
                break;
            }
            out.append(unescape(t.substring(i, cdata)));
            int end = t.indexOf("]]>", cdata);
            if (end < 0) {
                out.append(t.substring(cdata + 9));
                break;
            }
            out.append(t, cdata + 9, end);
            i = end + 3;
        }
        return out.toString().trim();
    }

    private static String unescape(String s) {
        if (s.indexOf('&') < 0) return s;
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
    }

    private static Instant instant(Date d) { return d == null ? null : d.toInstant(); }

    private String rebaseText(String href) {
        if (href == null) return null;
        return rebase(href).toString();
    }

    // keep path and query of a feed link, but scheme/host/port of the configured OpenMRS
    HttpUrl rebase(String url) {
        HttpUrl base = base();
        HttpUrl u = HttpUrl.parse(url);
        if (u == null) return base.resolve(url);
        return u.newBuilder().scheme(base.scheme()).host(base.host()).port(base.port()).build();
    }
}
