package api

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// namers return the display names of country codes and theme slugs, from
// the vocabulary snapshot, or the code itself when it does not know it.
func (h *handlers) namers() (country, theme func(string) string) {
	v := h.vocab.Vocabulary()
	return v.CountryName, v.ThemeName
}

// feedTitle describes a filter for people: "Headlines: Russia · sanctions".
func (h *handlers) feedTitle(f news.Filter) string {
	var parts []string
	names := func(codes []string, name func(string) string, sep string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = name(c)
		}
		return strings.Join(out, sep)
	}
	country, theme := h.namers()
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(names(f.Countries, country, " or "))
	add(names(f.CountriesAll, country, " and "))
	if len(f.CountriesNot) > 0 {
		add("not " + names(f.CountriesNot, country, " or "))
	}
	add(names(f.Themes, theme, " or "))
	add(names(f.ThemesAll, theme, " and "))
	if len(f.ThemesNot) > 0 {
		add("not " + names(f.ThemesNot, theme, " or "))
	}
	if len(f.Query) > 0 {
		add("“" + strings.Join(f.Query, " ") + "”")
	}
	for _, s := range []*string{f.Source, f.Section, f.Language} {
		if s != nil {
			add(*s)
		}
	}
	if len(parts) == 0 {
		return "Headlines"
	}
	return "Headlines: " + strings.Join(parts, " · ")
}

// feed is one feed, whatever its format: the newest articles matching
// the request's filter, with what every format says about them.
type feed struct {
	title       string
	description string
	self        string    // the feed as requested, absolute
	home        string    // the front page of the same country and theme, absolute
	language    string    // the filter's language, or the items' when they share one; "" when they differ
	author      string    // the creator every item shares; "" when they differ
	updated     time.Time // the newest change of any item
	items       []feedItem
}

// feedItem is an article as the feeds show it.
type feedItem struct {
	news.Article
	id      string // stable: the article's URL in this API
	link    string // the story, or the article's page on this site when it has none
	creator string // the article's author, or its source
}

const (
	// feedDescription says what every feed holds.
	feedDescription = "News headlines tagged by country and theme"
	// defaultLanguage is an empty feed's: what an article gets when its
	// writer names none.
	defaultLanguage = "en"
)

// feed builds the feed of the newest articles matching the request's filter.
func (h *handlers) feed(c echo.Context) (*feed, error) {
	lr, err := parseList(c.QueryParams(), filterParams, h.vocab.Vocabulary(), h.cursors, isEditor(c))
	if err != nil {
		return nil, err
	}
	page, err := h.list(c, lr.filter)
	if err != nil {
		return nil, err
	}
	base := baseURL(c)
	f := &feed{
		title:       h.feedTitle(lr.filter),
		description: feedDescription,
		self:        base + c.Request().URL.RequestURI(),
		home:        base + homeQuery(lr.filter),
	}
	languages, authors := map[string]bool{}, map[string]bool{}
	for _, a := range page.Articles {
		f.updated = maxTime(f.updated, a.UpdatedAt)
		id := strconv.FormatInt(a.ID, 10)
		it := feedItem{Article: a, id: base + "/v1/articles/" + id, link: a.URL, creator: a.Author}
		if it.link == "" {
			it.link = base + "/articles/" + id
		}
		if it.creator == "" {
			it.creator = a.Source
		}
		languages[a.Language] = true
		authors[it.creator] = true
		f.items = append(f.items, it)
	}
	switch {
	case lr.filter.Language != nil:
		f.language = *lr.filter.Language
	case len(languages) == 1:
		for l := range languages {
			f.language = l
		}
	case len(languages) == 0:
		f.language = defaultLanguage
	}
	if len(authors) == 1 {
		for a := range authors {
			f.author = a
		}
	}
	return f, nil
}

// homeQuery is the front page showing what a feed with filter f holds, as
// near as it can: with its country and its theme when the feed has one of
// each (a list of several is left out: a wider page), and nothing else,
// since the page takes no other filter.
func homeQuery(f news.Filter) string {
	var one news.Filter
	if len(f.Countries) == 1 {
		one.Countries = f.Countries
	}
	if len(f.Themes) == 1 {
		one.Themes = f.Themes
	}
	return "/" + frontQuery(one, "")
}

// Feed dates: RSS 2.0 takes RFC 822 dates (with a four-digit year), Atom
// and JSON Feed RFC 3339 ones; all are written in UTC.
func rssDate(t time.Time) string       { return t.UTC().Format(time.RFC1123Z) }
func isoDate(t time.Time) string       { return t.UTC().Format(time.RFC3339) }
func countryScheme(base string) string { return base + "/v1/countries" }
func themeScheme(base string) string   { return base + "/v1/themes" }

// Tags. Every format tags an item with its country codes (ISO 3166-1
// alpha-2, upper case) and its theme slugs: the values ?country= and
// ?theme= take, which stay the same when a display name changes. RSS
// says which is which with the category's domain, Atom with its scheme,
// and Atom also carries the display name as the category's label.

// rssDoc is an RSS 2.0 document with the Atom and Dublin Core namespaces.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	DC      string     `xml:"xmlns:dc,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string        `xml:"title"`
	Link        string        `xml:"link"`
	Description string        `xml:"description,omitempty"`
	Creator     string        `xml:"dc:creator,omitempty"`
	Categories  []rssCategory `xml:"category"`
	GUID        rssGUID       `xml:"guid"`
	PubDate     string        `xml:"pubDate"`
}

type rssCategory struct {
	Domain string `xml:"domain,attr"`
	Name   string `xml:",chardata"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

// atomFeedDoc is an Atom 1.0 (RFC 4287) feed document.
type atomFeedDoc struct {
	XMLName  xml.Name    `xml:"feed"`
	Xmlns    string      `xml:"xmlns,attr"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	Title    atomText    `xml:"title"`
	Subtitle atomText    `xml:"subtitle"`
	ID       string      `xml:"id"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Entries  []atomEntry `xml:"entry"`
}

type atomEntry struct {
	Lang       string         `xml:"xml:lang,attr,omitempty"`
	Title      atomText       `xml:"title"`
	ID         string         `xml:"id"`
	Link       atomLink       `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Author     *atomPerson    `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary"`
}

// atomText is an Atom text construct. Titles and summaries are plain
// text and say so, so that readers show markup in them as characters.
type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr"`
	Label  string `xml:"label,attr,omitempty"`
}

// JSONFeed is a feed in JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/).
type JSONFeed struct {
	Version     string `validate:"required" json:"version" example:"https://jsonfeed.org/version/1.1"`
	Title       string `validate:"required" json:"title" example:"Headlines: Russia · Sanctions"`
	HomePageURL string `validate:"required" json:"home_page_url" example:"https://headlines.example.com/?country=RU&theme=sanctions"`
	FeedURL     string `validate:"required" json:"feed_url" example:"https://headlines.example.com/v1/feeds/articles.json?country=RU&theme=sanctions"`
	Description string `validate:"required" json:"description" example:"News headlines tagged by country and theme"`
	// The filter's language, or the items' when they all share one; left
	// out when they differ.
	Language string `json:"language,omitempty" example:"en"`
	// The author every item shares; left out when they differ.
	Authors []JSONFeedAuthor `json:"authors,omitempty"`
	// JSON Feed 1.0's author, deprecated by 1.1: authors[0], for older readers.
	Author *JSONFeedAuthor `json:"author,omitempty"`
	Items  []JSONFeedItem  `validate:"required" json:"items"`
} //	@name	JSONFeed

// JSONFeedAuthor names who wrote an item: its author, or its source.
type JSONFeedAuthor struct {
	Name string `validate:"required" json:"name" example:"NK News"`
} //	@name	JSONFeedAuthor

// JSONFeedItem is an article in a JSON Feed. Its id is stable; its url is
// the story's, or the article's page on this site when it has none.
// content_text is the summary, or the title when there is no summary.
// Tags are the article's country codes and theme slugs.
type JSONFeedItem struct {
	ID            string           `validate:"required" json:"id" example:"https://headlines.example.com/v1/articles/3"`
	URL           string           `validate:"required" json:"url" example:"https://example.com/2025/06/new-zealand-sanctions"`
	Title         string           `validate:"required" json:"title" example:"New Zealand targets North Korean military support for Russia with new sanctions"`
	ContentText   string           `validate:"required" json:"content_text" example:"Wellington accuses DPRK of helping Moscow ‘sustain its illegal war of aggression’"`
	Summary       string           `json:"summary,omitempty" example:"Wellington accuses DPRK of helping Moscow ‘sustain its illegal war of aggression’"`
	Image         string           `json:"image,omitempty" example:"https://example.com/2025/06/sanctions.jpg"`
	DatePublished time.Time        `validate:"required" json:"date_published" example:"2025-06-26T08:15:00Z"`
	DateModified  time.Time        `validate:"required" json:"date_modified" example:"2025-06-26T08:20:00Z"`
	Authors       []JSONFeedAuthor `json:"authors,omitempty"`
	// JSON Feed 1.0's author, deprecated by 1.1: authors[0], for older readers.
	Author   *JSONFeedAuthor `json:"author,omitempty"`
	Tags     []string        `validate:"required" json:"tags" example:"KP,NZ,RU,sanctions"`
	Language string          `validate:"required" json:"language" example:"en"`
} //	@name	JSONFeedItem

// rssFeed godoc
//
//	@Summary		Articles as RSS 2.0
//	@Description	The newest articles matching the list filters, as RSS 2.0. The channel links to the front page of the same country and theme (a list of several is left out, as the page takes one), and to itself with atom:link rel="self". Item links go to the story's url, or to the article's page on this site (/articles/{id}) when it has none; guids are stable; dc:creator is the author, or the source; one category per country code (domain …/v1/countries) and theme slug (domain …/v1/themes). Titles are plain text; descriptions are the summary as HTML-escaped text.
//	@Tags			feeds
//	@ID				rssFeed
//	@Produce		application/rss+xml,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"																							collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"																								collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{string}	string		"the feed"
//	@Header			200			{string}	ETag		"validator for If-None-Match"
//	@Success		304			"not modified: the If-None-Match ETag is current"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search by relevance, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.rss [get]
func (h *handlers) rssFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	base := baseURL(c)
	doc := rssDoc{
		Version: "2.0", Atom: "http://www.w3.org/2005/Atom", DC: "http://purl.org/dc/elements/1.1/",
		Channel: rssChannel{
			Title: f.title, Link: f.home, Description: f.description, Language: f.language,
			Self:  atomLink{Href: f.self, Rel: "self", Type: "application/rss+xml"},
			Items: make([]rssItem, len(f.items)),
		},
	}
	if !f.updated.IsZero() {
		doc.Channel.LastBuildDate = rssDate(f.updated)
	}
	for i, it := range f.items {
		// A title is plain text, escaped once by the XML encoding. A
		// description is HTML to readers, and a summary is plain text: it
		// is escaped as HTML too, so that markup in it shows as the
		// characters an editor typed and never becomes an element.
		item := rssItem{
			Title: it.Title, Link: it.link, Description: html.EscapeString(it.Summary), Creator: it.creator,
			GUID: rssGUID{IsPermaLink: "false", ID: it.id}, PubDate: rssDate(it.PublishedAt),
		}
		for _, code := range it.Countries {
			item.Categories = append(item.Categories, rssCategory{Domain: countryScheme(base), Name: code})
		}
		for _, slug := range it.Themes {
			item.Categories = append(item.Categories, rssCategory{Domain: themeScheme(base), Name: slug})
		}
		doc.Channel.Items[i] = item
	}
	return writeXML(c, "application/rss+xml; charset=utf-8", doc)
}

// atomFeed godoc
//
//	@Summary		Articles as Atom 1.0
//	@Description	The newest articles matching the list filters, as Atom 1.0. Takes the parameters of the RSS feed. Links rel="self" to itself and rel="alternate" to the front page of the same country and theme (a list of several is left out, as the page takes one); entries carry the RSS feed's links, ids and authors, and a category per country code and theme slug labelled with its name.
//	@Tags			feeds
//	@ID				atomFeed
//	@Produce		application/atom+xml,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"																							collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"																								collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{string}	string		"the feed"
//	@Header			200			{string}	ETag		"validator for If-None-Match"
//	@Success		304			"not modified: the If-None-Match ETag is current"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search by relevance, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.atom [get]
func (h *handlers) atomFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	base := baseURL(c)
	country, theme := h.namers()
	// An Atom feed names an author unless every entry does: the creator
	// all entries share, or this service.
	author := f.author
	if author == "" {
		author = "Headlines"
	}
	doc := atomFeedDoc{
		Xmlns: "http://www.w3.org/2005/Atom", Lang: f.language,
		Title: atomText{Type: "text", Text: f.title}, Subtitle: atomText{Type: "text", Text: f.description},
		ID: f.self, Updated: isoDate(f.updated),
		Links: []atomLink{
			{Href: f.self, Rel: "self", Type: "application/atom+xml"},
			{Href: f.home, Rel: "alternate", Type: "text/html"},
		},
		Author:  atomPerson{Name: author},
		Entries: make([]atomEntry, len(f.items)),
	}
	for i, it := range f.items {
		entry := atomEntry{
			Lang: it.Language, Title: atomText{Type: "text", Text: it.Title}, ID: it.id,
			Link:      atomLink{Href: it.link, Rel: "alternate"},
			Published: isoDate(it.PublishedAt), Updated: isoDate(it.UpdatedAt),
		}
		if it.creator != "" {
			entry.Author = &atomPerson{Name: it.creator}
		}
		if it.Summary != "" {
			entry.Summary = &atomText{Type: "text", Text: it.Summary}
		}
		for _, code := range it.Countries {
			entry.Categories = append(entry.Categories, atomCategory{Term: code, Scheme: countryScheme(base), Label: country(code)})
		}
		for _, slug := range it.Themes {
			entry.Categories = append(entry.Categories, atomCategory{Term: slug, Scheme: themeScheme(base), Label: theme(slug)})
		}
		doc.Entries[i] = entry
	}
	return writeXML(c, "application/atom+xml; charset=utf-8", doc)
}

// jsonFeed godoc
//
//	@Summary		Articles as JSON Feed 1.1
//	@Description	The newest articles matching the list filters, as JSON Feed 1.1. Takes the parameters of the RSS feed. home_page_url is the front page of the same country and theme (a list of several is left out, as the page takes one), feed_url the feed as requested; items carry the RSS feed's links, ids and authors, content_text (the summary, or the title when there is none), and tags: the country codes and theme slugs.
//	@Tags			feeds
//	@ID				jsonFeed
//	@Produce		application/feed+json,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"																							collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"																								collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{object}	JSONFeed	"the feed"
//	@Header			200			{string}	ETag		"validator for If-None-Match"
//	@Success		304			"not modified: the If-None-Match ETag is current"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search by relevance, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.json [get]
func (h *handlers) jsonFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	doc := JSONFeed{
		Version: "https://jsonfeed.org/version/1.1", Title: f.title, HomePageURL: f.home, FeedURL: f.self,
		Description: f.description, Language: f.language, Items: make([]JSONFeedItem, len(f.items)),
	}
	if f.author != "" {
		doc.Authors = []JSONFeedAuthor{{Name: f.author}}
		doc.Author = &doc.Authors[0]
	}
	for i, it := range f.items {
		item := JSONFeedItem{
			ID: it.id, URL: it.link, Title: it.Title, ContentText: it.Summary, Summary: it.Summary, Image: it.ImageURL,
			DatePublished: it.PublishedAt.UTC(), DateModified: it.UpdatedAt.UTC(), Language: it.Language,
			Tags: append(append(make([]string, 0, len(it.Countries)+len(it.Themes)), it.Countries...), it.Themes...),
		}
		if item.ContentText == "" {
			item.ContentText = it.Title // an item must have content
		}
		if it.creator != "" {
			item.Authors = []JSONFeedAuthor{{Name: it.creator}}
			item.Author = &item.Authors[0]
		}
		doc.Items[i] = item
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/feed+json; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return json.NewEncoder(c.Response()).Encode(doc)
}

// writeXML answers with doc as an XML document of the given content type.
func writeXML(c echo.Context, contentType string, doc any) error {
	c.Response().Header().Set(echo.HeaderContentType, contentType)
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.WriteString(c.Response(), xml.Header); err != nil {
		return err
	}
	return xml.NewEncoder(c.Response()).Encode(doc)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
