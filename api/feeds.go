package api

import (
	"context"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// namers return the display names of country codes and theme slugs, from
// the cached vocabulary (no article counts), or the code itself when the
// vocabulary cannot say.
func (h *handlers) namers(ctx context.Context) (country, theme func(string) string) {
	theme = func(slug string) string { return h.vocab.ThemeName(ctx, slug) }
	return h.vocab.CountryName, theme
}

// feedTitle describes a filter for people: "Headlines: Russia · sanctions".
func (h *handlers) feedTitle(ctx context.Context, f news.Filter) string {
	var parts []string
	names := func(codes []string, name func(string) string, sep string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = name(c)
		}
		return strings.Join(out, sep)
	}
	country, theme := h.namers(ctx)
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

// feed builds the feed of the newest articles matching the request's filter.
func (h *handlers) feed(c echo.Context) (*feeds.Feed, error) {
	ctx := c.Request().Context()
	lr, err := parseList(ctx, c.QueryParams(), filterParams, h.vocab, h.cursors, isEditor(c))
	if err != nil {
		return nil, err
	}
	page, err := h.list(c, lr.filter)
	if err != nil {
		return nil, err
	}
	base := baseURL(c)
	self := base + c.Request().URL.RequestURI()
	list := base + "/v1/articles"
	if q := c.QueryParams().Encode(); q != "" {
		list += "?" + q
	}
	f := &feeds.Feed{
		Title:       h.feedTitle(ctx, lr.filter),
		Link:        &feeds.Link{Href: list},
		Description: "News headlines tagged by country and theme",
		Id:          self,
	}
	for _, a := range page.Articles {
		f.Updated = maxTime(f.Updated, a.UpdatedAt)
		item := &feeds.Item{
			Id:          base + "/v1/articles/" + strconv.FormatInt(a.ID, 10),
			IsPermaLink: "false",
			Title:       a.Title,
			Link:        &feeds.Link{Href: a.URL},
			Description: a.Summary,
			Created:     a.PublishedAt,
			Updated:     a.UpdatedAt,
		}
		if a.URL == "" {
			item.Link.Href = item.Id
		}
		if a.Source != "" {
			item.Author = &feeds.Author{Name: a.Source}
		}
		f.Add(item)
	}
	return f, nil
}

// rssFeed godoc
//
//	@Summary		Articles as RSS 2.0
//	@Description	The newest articles matching the list filters, as RSS 2.0. Item links go to the story's url, or to the article in this API when it has none; guids are stable.
//	@Tags			feeds
//	@ID				rssFeed
//	@Produce		application/rss+xml,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"	collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"	collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"		collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"		collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{string}	string		"the feed"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.rss [get]
func (h *handlers) rssFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	// Readers render an item's <description> as HTML, but a summary is
	// plain text: it is escaped once more, so that markup in it shows as
	// the characters an editor typed and never becomes an element.
	rss := (&feeds.Rss{Feed: f}).RssFeed()
	for _, item := range rss.Items {
		item.Description = html.EscapeString(item.Description)
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/rss+xml; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return feeds.WriteXML(rss, c.Response())
}

// atomFeed godoc
//
//	@Summary		Articles as Atom 1.0
//	@Description	The newest articles matching the list filters, as Atom 1.0. Takes the parameters of the RSS feed.
//	@Tags			feeds
//	@ID				atomFeed
//	@Produce		application/atom+xml,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"	collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"	collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"		collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"		collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{string}	string		"the feed"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.atom [get]
func (h *handlers) atomFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	// The library leaves out each entry's optional <published>; it is the
	// story's publication time, so it is filled in here. It also marks
	// summaries as HTML; they are plain text, and say so, so that readers
	// show markup in them as characters.
	atom := (&feeds.Atom{Feed: f}).AtomFeed()
	for i, entry := range atom.Entries {
		entry.Published = f.Items[i].Created.UTC().Format(time.RFC3339)
		if entry.Summary != nil {
			entry.Summary.Type = "text"
		}
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return feeds.WriteXML(atom, c.Response())
}

// jsonFeed godoc
//
//	@Summary		Articles as JSON Feed 1.1
//	@Description	The newest articles matching the list filters, as JSON Feed 1.1. Takes the parameters of the RSS feed.
//	@Tags			feeds
//	@ID				jsonFeed
//	@Produce		application/feed+json,application/problem+json
//	@Param			country		query		[]string	false	"any of these countries"	collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"	collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"		collectionFormat(csv)	example(sanctions)
//	@Param			theme_all	query		[]string	false	"all of these themes"		collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of items"	minimum(1)	maximum(100)	default(20)
//	@Success		200			{object}	object		"the feed"
//	@Failure		400			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem	"busy with expensive reads (a search, several tags, an exclusion), or the database is unavailable; Retry-After says when to try again"
//	@Router			/v1/feeds/articles.json [get]
func (h *handlers) jsonFeed(c echo.Context) error {
	f, err := h.feed(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/feed+json; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return f.WriteJSON(c.Response())
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
