package api

import "github.com/labstack/echo/v4"

// HoldSlots takes n slots of p, as n running expensive reads would, until
// release is called.
func (p *QueryPool) HoldSlots(n int) (release func()) {
	for range n {
		p.slots <- struct{}{}
	}
	return func() {
		for range n {
			<-p.slots
		}
	}
}

// Cacheable says which GET paths get an ETag and answer If-None-Match.
var Cacheable = cacheable

// ForPeople says which paths answer errors as HTML pages.
var ForPeople = forPeople

// ReasonPhrase is the title of a problem with a status.
var ReasonPhrase = reasonPhrase

// Echo is the Echo server behind a, for tests that look up its routes.
func (a *API) Echo() *echo.Echo { return a.e }
