package atlas

import (
	"cmp"
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

// listPage reads one page of path with the paging of opts.
func listPage[T any](ctx context.Context, c *Client, path, version string, opts *ListOptions) (*Page[T], error) {
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	return doJSON[Page[T]](ctx, c, &request{method: http.MethodGet, path: path, query: q, version: version, shape: pageShape})
}

// maxPages caps the pages one walk fetches (see ExportsService.All): 500,000 items at the API's
// largest page, 100,000 at its default. It also bounds the ids a walk keeps to know a repeat:
// about 50 MiB allocated over a walk of 1,000 pages of 500.
const maxPages = 1_000

// walk yields every item of the pages list returns, as ExportsService.All documents; id names
// an item, so that a repeat is seen.
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
		perPage := cmp.Or(page.ItemsPerPage, defaultItemsPerPage)
		before := (page.PageNum - 1) * perPage // items on the pages the walk skips
		seen := make(map[string]struct{})
		for pages := 1; ; pages++ {
			p, err := list(ctx, &page)
			if err != nil {
				yield(nil, err)
				return
			}
			// Every id is checked before any item of the page is yielded. The ids are not
			// quoted in the errors: they are the server's text.
			for _, item := range p.Results {
				problem := ""
				if item == nil || id(item) == "" {
					problem = "holds an item without an id"
				} else if _, ok := seen[id(item)]; ok {
					problem = "repeats an item: the server ignores pageNum, or the list changed during the walk"
				}
				if problem != "" {
					yield(nil, fmt.Errorf("%w: page %d of the list %s", ErrInvalidResponse, page.PageNum, problem))
					return
				}
				seen[id(item)] = struct{}{}
			}
			for _, item := range p.Results {
				if !yield(item, nil) {
					return
				}
			}
			if !morePages(p, perPage, page.PageNum, before+len(seen)) {
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

// morePages says whether another page follows page pageNum, after which counted items are
// known: none after an empty page or once counted covers totalCount; otherwise the server's
// "next" link says so, and failing that a full page does when totalCount counts more items
// than the pages so far held, or when the server sent no links to tell.
func morePages[T any](p *Page[T], perPage, pageNum, counted int) bool {
	n := len(p.Results)
	if n == 0 || p.TotalCount > 0 && counted >= p.TotalCount {
		return false
	}
	for _, l := range p.Links {
		if l.Rel == "next" {
			return true
		}
	}
	return n >= perPage && (p.TotalCount > pageNum*perPage || len(p.Links) == 0)
}
