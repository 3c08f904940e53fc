package atlastest

import (
	"net/http"
	"strconv"

	"github.com/atlas-exports/atlas"
)

// baseURL is the scheme and host the client used, so links work wherever the fake listens.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// selfLinks is the links array the service sends with every resource: one self link to path.
func selfLinks(r *http.Request, path string) []atlas.Link {
	return []atlas.Link{{Href: baseURL(r) + path, Rel: "self"}}
}

// pageURL is the request's URL with pageNum set to page, for a list's paging links.
func pageURL(r *http.Request, page int) string {
	q := r.URL.Query()
	q.Set("pageNum", strconv.Itoa(page))
	return baseURL(r) + r.URL.Path + "?" + q.Encode()
}
