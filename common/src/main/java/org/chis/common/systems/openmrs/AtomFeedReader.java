package org.chis.common.systems.openmrs;

import java.io.StringReader;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;

/**
 * Reads OpenMRS atom feed pages ({@code <base>/ws/atomfeed/{category}/recent|{n}}) with a streaming (StAX) parser. Archive links
 * are followed by the caller (it decides how far a bounded batch goes). Link URLs in a feed carry the
 * publisher's own host name; they are re-based onto our configured OpenMRS URL so a proxy or container
 * host name does not lead us astray.
 */
public final class AtomFeedReader {
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

    private static final String ATOM = "http://www.w3.org/2005/Atom";
    private static final XMLInputFactory XML = xmlInput();

    private static XMLInputFactory xmlInput() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        return f;
    }

    /**
     * Parses an atom document in one streaming pass (StAX: no DOM tree and feed model built first, as Rome did; a page
     * is read for every 5 entries); links are re-based onto the configured OpenMRS URL.
     * Content is taken as the plain text the publishers mean (a path or JSON, usually in CDATA).
     */
    public FeedPage parse(String xml, String requestedUrl) {
        try {
            XMLStreamReader r = XML.createXMLStreamReader(new StringReader(xml));
            try {
                while (r.hasNext() && r.next() != XMLStreamConstants.START_ELEMENT) { }
                if (!r.isStartElement()) throw new XMLStreamException("no root element");
                if (!"feed".equals(r.getLocalName()) || !ATOM.equals(r.getNamespaceURI())) {
                    String kind = "rss".equals(r.getLocalName()) || "RDF".equals(r.getLocalName()) ? r.getLocalName() : null;
                    if (kind != null) throw new UpstreamException("OpenMRS feed page " + requestedUrl + " is " + kind + ", not atom", 502);
                    throw new UpstreamException("OpenMRS feed page " + requestedUrl + " is not a readable atom feed: root element <"
                            + r.getLocalName() + "> is not an atom feed", 502);
                }
                return feed(r, requestedUrl);
            } finally {
                r.close();
            }
        } catch (XMLStreamException | IllegalArgumentException e) {
            throw new UpstreamException("OpenMRS feed page " + requestedUrl + " is not a readable atom feed: " + e.getMessage(), 502, e);
        }
    }

    /** The children of {@code <feed>}: links, updated, entries (other elements skipped). */
    private FeedPage feed(XMLStreamReader r, String requestedUrl) throws XMLStreamException {
        String self = null, via = null, prev = null, next = null;
        Instant updated = null;
        List<FeedEntry> entries = new ArrayList<>();
        while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
            if (!ATOM.equals(r.getNamespaceURI())) {
                skip(r);
                continue;
            }
            switch (r.getLocalName()) {
                case "link" -> {
                    String rel = r.getAttributeValue(null, "rel");
                    String href = r.getAttributeValue(null, "href");
                    switch (rel == null ? "alternate" : rel) {
                        case "self" -> self = rebaseText(href);
                        case "via" -> via = rebaseText(href);
                        case "prev-archive" -> prev = rebaseText(href);
                        case "next-archive" -> next = rebaseText(href);
                        default -> { }
                    }
                    skip(r);
                }
                case "updated" -> updated = instant(r.getElementText());
                case "entry" -> entries.add(entry(r));
                default -> skip(r);
            }
        }
        return new FeedPage(self == null ? requestedUrl : self, via, prev, next, updated, entries);
    }

    private static FeedEntry entry(XMLStreamReader r) throws XMLStreamException {
        String id = null, title = null;
        Instant updated = null, published = null;
        List<String> cats = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
            if (!ATOM.equals(r.getNamespaceURI())) {
                skip(r);
                continue;
            }
            switch (r.getLocalName()) {
                case "id" -> id = r.getElementText().trim();
                case "title" -> title = r.getElementText();
                case "category" -> {
                    String term = r.getAttributeValue(null, "term");
                    if (term != null) cats.add(term);
                    skip(r);
                }
                case "updated" -> updated = instant(r.getElementText());
                case "published" -> published = instant(r.getElementText());
                case "content" -> content.append(text(r));
                default -> skip(r);
            }
        }
        return new FeedEntry(id, title, cats, updated, published, content.toString().trim());
    }

    /** The text of an element and its descendants (CDATA and entities decoded); the reader ends on its end tag. */
    private static String text(XMLStreamReader r) throws XMLStreamException {
        StringBuilder out = new StringBuilder();
        int depth = 1;
        while (depth > 0) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) depth++;
            else if (ev == XMLStreamConstants.END_ELEMENT) depth--;
            else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA || ev == XMLStreamConstants.SPACE) out.append(r.getText());
        }
        return out.toString();
    }

    /** Skips the current element and its children; the reader ends on its end tag. */
    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) depth++;
            else if (ev == XMLStreamConstants.END_ELEMENT) depth--;
        }
    }

    /** An RFC 3339 date (atom's), or null when it is not one (as Rome did). */
    private static Instant instant(String text) {
        try {
            return OffsetDateTime.parse(text.trim()).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

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
