package atlas

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions pages the List and All operations. The zero value asks for the first page of
// 100 items, with a total count.
type ListOptions struct {
	// PageNum is the page to return, from 1; zero means 1.
	PageNum int
	// ItemsPerPage is the page size, 1 to 500; zero means the server's default of 100.
	ItemsPerPage int
	// OmitCount asks the server not to count all items (includeCount=false); TotalCount is
	// then 0.
	OmitCount bool
}

// defaultItemsPerPage is the server's page size when none is asked for.
const defaultItemsPerPage = 100

// query checks the options and returns them as a URL query, nil for none.
func (o *ListOptions) query() (url.Values, error) {
	if o == nil {
		return nil, nil
	}
	if o.PageNum < 0 {
		return nil, invalid("PageNum", "must be 1 or more (0 for the first page)")
	}
	if o.ItemsPerPage < 0 || o.ItemsPerPage > maxPageResults {
		return nil, invalid("ItemsPerPage", "must be from 1 to 500 (0 for the server's default of 100)")
	}
	q := url.Values{}
	if o.OmitCount {
		q.Set("includeCount", "false")
	}
	if o.ItemsPerPage > 0 {
		q.Set("itemsPerPage", strconv.Itoa(o.ItemsPerPage))
	}
	if o.PageNum > 0 {
		q.Set("pageNum", strconv.Itoa(o.PageNum))
	}
	return q, nil
}

// listRequest builds the GET of one page of path.
func listRequest(path, version string, opts *ListOptions) (*request, error) {
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	return &request{method: http.MethodGet, path: path, query: q, version: version, shape: pageShape}, nil
}

// maxPages caps the pages one walk fetches: 500,000 items at the API's largest page, 100,000
// at its default. A list longer than that, or a server that answers every page with new items
// and a next link, ends the walk with ErrInvalidResponse. It also bounds the ids a walk keeps
// to know a repeat: about 50 MiB allocated over a walk of 1,000 pages of 500.
const maxPages = 1_000

// walk yields every item of the pages list returns, starting at opts.PageNum with pages of
// opts.ItemsPerPage. A page is fetched only when the loop reaches it, and none after the loop
// breaks. A failed page is yielded once as (nil, err) and ends the walk. A server, or
// something between, that ignores pageNum or rotates its items cannot keep it walking: a page
// that repeats an item (id names an item) or holds one without an id ends the walk with
// ErrInvalidResponse before any of its items is yielded; the walk ends once the items seen
// cover totalCount, when the server gives one; and it fetches at most maxPages pages.
func walk[T any](ctx context.Context, opts *ListOptions, id func(*T) string, list func(context.Context, *ListOptions) (*Page[T], error)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		// Check the caller's options before defaulting the page: a negative PageNum is an
		// error, not the first page.
		if _, err := opts.query(); err != nil {
			yield(nil, err)
			return
		}
		page := ListOptions{}
		if opts != nil {
			page = *opts
		}
		page.PageNum = max(page.PageNum, 1)
		perPage := page.ItemsPerPage
		if perPage == 0 {
			perPage = defaultItemsPerPage
		}
		before := (page.PageNum - 1) * perPage // items on the pages the walk skips
		seen := make(map[string]struct{})
		for pages := 1; ; pages++ {
			p, err := list(ctx, &page)
			if err != nil {
				yield(nil, err)
				return
			}
			if problem := newItems(p.Results, id, seen); problem != "" {
				yield(nil, fmt.Errorf("%w: page %d of the list %s", ErrInvalidResponse, page.PageNum, problem))
				return
			}
			for _, item := range p.Results {
				if !yield(item, nil) {
					return
				}
			}
			covered := p.TotalCount > 0 && before+len(seen) >= p.TotalCount
			if covered || !morePages(len(p.Results), perPage, page.PageNum, p.TotalCount, p.Links) {
				return
			}
			if pages == maxPages {
				yield(nil, fmt.Errorf("%w: the list goes on past %d pages, the most a walk fetches", ErrInvalidResponse, maxPages))
				return
			}
			page.PageNum++
		}
	}
}

// newItems adds the ids of a page's items to seen. It says what is wrong when an item has no
// id or was seen before, on this page or an earlier one, and "" when every item is new. The
// ids are not quoted: they are the server's text.
func newItems[T any](items []*T, id func(*T) string, seen map[string]struct{}) string {
	for _, item := range items {
		if item == nil || id(item) == "" {
			return "holds an item without an id"
		}
		if _, ok := seen[id(item)]; ok {
			return "repeats an item: the server ignores pageNum, or the list changed during the walk"
		}
		seen[id(item)] = struct{}{}
	}
	return ""
}

// morePages says whether another page follows page pageNum, which held n items: the server's
// "next" link says so; otherwise a full page does when totalCount counts more items than the
// pages so far held, or when the server sent no links to tell.
func morePages(n, perPage, pageNum, total int, links []Link) bool {
	if n == 0 {
		return false
	}
	for _, l := range links {
		if l.Rel == "next" {
			return true
		}
	}
	if n < perPage {
		return false
	}
	return total > pageNum*perPage || len(links) == 0
}
