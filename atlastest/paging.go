package atlastest

import (
	"math"
	"net/http"
	"strconv"

	"github.com/atlas-exports/atlas"
)

// Paging bounds from the spec's itemsPerPage and pageNum parameters.
const (
	defaultItemsPerPage = 100
	maxItemsPerPage     = 500
)

// paging is what a list request asks for with the spec's paging parameters.
type paging struct {
	items, page  int
	includeCount bool
}

// unpaged is the one page of a list whose operation declares no paging parameters (the
// sharded-cluster snapshots): everything, counted.
var unpaged = paging{items: math.MaxInt32, page: 1, includeCount: true}

// readPaging reads itemsPerPage (1..500, default 100), pageNum (at least 1, default 1) and
// includeCount (default true), answering 400 itself for a value out of bounds.
func readPaging(w http.ResponseWriter, r *http.Request) (paging, bool) {
	q := r.URL.Query()
	var bad []atlas.FieldViolation
	p := paging{items: defaultItemsPerPage, page: 1, includeCount: true}
	intParam := func(name string, dst *int, lo, hi int, desc string) {
		v := q.Get(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad = append(bad, atlas.FieldViolation{Field: name, Description: desc})
			return
		}
		*dst = n
	}
	intParam("itemsPerPage", &p.items, 1, maxItemsPerPage, "must be an integer from 1 to 500")
	intParam("pageNum", &p.page, 1, math.MaxInt32, "must be an integer of at least 1")
	if v := q.Get("includeCount"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad = append(bad, atlas.FieldViolation{Field: "includeCount", Description: "must be true or false"})
		}
		p.includeCount = b
	}
	if len(bad) > 0 {
		writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
			"Invalid query parameter "+bad[0].Field+".", bad...)
		return p, false
	}
	return p, true
}

// listPage is the spec's Paginated* schemas: links, results and an optional totalCount.
// TotalCount is a pointer because includeCount=false must omit it while an empty list must
// still say 0.
type listPage[T any] struct {
	Links      []atlas.Link `json:"links"`
	Results    []T          `json:"results"`
	TotalCount *int         `json:"totalCount,omitempty"`
}

// pageOf builds page p of all, turning each record on it into its wire form with view, with
// self, previous and next links. Callers hold s.mu when view reads shared records.
func pageOf[R, T any](r *http.Request, p paging, all []R, view func(R) T) listPage[T] {
	total := len(all)
	start := min((p.page-1)*p.items, total)
	end := min(start+p.items, total)
	out := listPage[T]{
		Links:   []atlas.Link{{Href: baseURL(r) + r.URL.RequestURI(), Rel: "self"}},
		Results: make([]T, 0, end-start),
	}
	for _, rec := range all[start:end] {
		out.Results = append(out.Results, view(rec))
	}
	if p.page > 1 {
		out.Links = append(out.Links, atlas.Link{Href: pageURL(r, p.page-1), Rel: "previous"})
	}
	if end < total {
		out.Links = append(out.Links, atlas.Link{Href: pageURL(r, p.page+1), Rel: "next"})
	}
	if p.includeCount {
		out.TotalCount = &total
	}
	return out
}
