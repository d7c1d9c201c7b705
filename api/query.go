package api

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// strictQuery refuses a query string that Go's parser would read only in
// part: it drops a parameter holding a semicolon (`?country=TV;x=1` would
// list every country) or a malformed percent-escape without a word. Such
// a request is a 400 naming the parameter, never an answer to a question
// the client did not ask.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if raw := c.Request().URL.RawQuery; raw != "" {
			if err := checkQuery(raw); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// checkQuery finds the first parameter of raw that url.ParseQuery would
// drop, and says why.
func checkQuery(raw string) error {
	if !strings.ContainsAny(raw, ";%") {
		return nil // nothing the parser could drop: most queries
	}
	for _, part := range strings.Split(raw, "&") {
		name, value, _ := strings.Cut(part, "=")
		field, err := url.QueryUnescape(name)
		if err != nil {
			field = name
		}
		if strings.Contains(part, ";") {
			return news.FieldErrorf(news.EInvalid, field, "contains a semicolon, which does not separate parameters here: use & between parameters, or %%3B for a semicolon in a value")
		}
		if err != nil {
			return news.FieldErrorf(news.EInvalid, field, "the parameter's name has a malformed percent-escape")
		}
		if _, err := url.QueryUnescape(value); err != nil {
			return news.FieldErrorf(news.EInvalid, field, "has a malformed percent-escape in its value")
		}
	}
	return nil
}
