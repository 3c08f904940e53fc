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

// walk yields every item of the pages list returns, starting at opts.PageNum with pages of
// opts.ItemsPerPage. A page is fetched only when the loop reaches it, and none after the loop
// breaks. A failed page is yielded once as (nil, err) and ends the walk. A page that starts
// with the same item as the one before it (a server, or something between, that ignores
// pageNum) ends the walk with ErrInvalidResponse rather than looping forever; id names an
// item for that check.
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
		var previousFirst string
		for {
			p, err := list(ctx, &page)
			if err != nil {
				yield(nil, err)
				return
			}
			items := p.Results
			first := firstID(items, id)
			if first != "" && first == previousFirst {
				yield(nil, fmt.Errorf("%w: page %d of the list starts as page %d did: the server ignores pageNum", ErrInvalidResponse, page.PageNum, page.PageNum-1))
				return
			}
			previousFirst = first
			for _, item := range items {
				if item != nil && !yield(item, nil) {
					return
				}
			}
			if !morePages(len(items), perPage, page.PageNum, p.TotalCount, p.Links) {
				return
			}
			page.PageNum++
		}
	}
}

// firstID is the id of the first item of a page, "" when it has none.
func firstID[T any](items []*T, id func(*T) string) string {
	if len(items) == 0 || items[0] == nil {
		return ""
	}
	return id(items[0])
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
