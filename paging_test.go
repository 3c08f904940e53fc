package atlas_test

// Tests of paging: ListOptions as every List sends them, and All's walk over the pages of the
// three lists (export jobs, export buckets, replica-set snapshots).

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// listed is one page as a test sees it.
type listed struct {
	ids   []string
	total int
	links []atlas.Link
}

// lister is one of the paged lists, driven the same way as the others.
type lister struct {
	name    string
	route   string
	path    string
	version string
	// add stores items until the list holds n (the fixture seeds one bucket and one
	// snapshot) and returns the ids in list order.
	add  func(f *fixture, n int) []string
	list func(ctx context.Context, c *atlas.Client, groupID string, o *atlas.ListOptions) (listed, error)
	all  func(ctx context.Context, c *atlas.Client, groupID string, o *atlas.ListOptions) iter.Seq2[string, error]
}

// pageIDs turns a page of a List into what the tests compare.
func pageIDs[T any](page *atlas.Page[T], id func(*T) string) listed {
	if page == nil {
		return listed{}
	}
	p := listed{total: page.TotalCount, links: page.Links}
	for _, v := range page.Results {
		p.ids = append(p.ids, id(v))
	}
	return p
}

// idSeq turns an All walk into a walk of ids.
func idSeq[T any](seq iter.Seq2[*T, error], id func(*T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for v, err := range seq {
			s := ""
			if v != nil {
				s = id(v)
			}
			if !yield(s, err) {
				return
			}
		}
	}
}

// seeded returns the ids of a list that starts with the fixture's seeded item and adds n-1.
func seeded(first string, n int, add func() string) []string {
	ids := []string{first}
	for len(ids) < n {
		ids = append(ids, add())
	}
	return ids
}

var listers = []lister{{
	name: "export jobs", route: atlastest.RouteListExports, path: exportsPath, version: atlas.MediaType,
	add: func(f *fixture, n int) []string { return f.addJobs(n, atlas.ExportJob{ExportBucketID: testBucket}) },
	list: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) (listed, error) {
		p, err := c.Exports.List(ctx, g, testCluster, o)
		return pageIDs(p, jobID), err
	},
	all: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) iter.Seq2[string, error] {
		return idSeq(c.Exports.All(ctx, g, testCluster, o), jobID)
	},
}, {
	name: "export buckets", route: atlastest.RouteListExportBuckets, path: bucketsPath, version: atlas.MediaTypeExportBuckets,
	add: func(f *fixture, n int) []string {
		return seeded(testBucket, n, func() string { return f.srv.AddExportBucket(testGroupID, &atlas.ExportBucket{}) })
	},
	list: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) (listed, error) {
		p, err := c.ExportBuckets.List(ctx, g, o)
		return pageIDs(p, bucketID), err
	},
	all: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) iter.Seq2[string, error] {
		return idSeq(c.ExportBuckets.All(ctx, g, o), bucketID)
	},
}, {
	name: "snapshots", route: atlastest.RouteListSnapshots, path: snapshotsPath, version: atlas.MediaType,
	add: func(f *fixture, n int) []string {
		return seeded(testSnapshot, n, func() string { return f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{}) })
	},
	list: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) (listed, error) {
		p, err := c.Snapshots.List(ctx, g, testCluster, o)
		return pageIDs(p, snapshotID), err
	},
	all: func(ctx context.Context, c *atlas.Client, g string, o *atlas.ListOptions) iter.Seq2[string, error] {
		return idSeq(c.Snapshots.All(ctx, g, testCluster, o), snapshotID)
	},
}}

func TestListSendsThePagingQuery(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, tc := range []struct {
		opts *atlas.ListOptions
		want url.Values
		n    int // items on the page, of the 2 stored
	}{
		{nil, url.Values{}, 2}, // the server's defaults apply
		{&atlas.ListOptions{}, url.Values{}, 2},
		{&atlas.ListOptions{PageNum: 2, ItemsPerPage: 1}, url.Values{"pageNum": {"2"}, "itemsPerPage": {"1"}}, 1},
		{&atlas.ListOptions{PageNum: 2, ItemsPerPage: 3}, url.Values{"pageNum": {"2"}, "itemsPerPage": {"3"}}, 0},
		{&atlas.ListOptions{ItemsPerPage: 500}, url.Values{"itemsPerPage": {"500"}}, 2},
		{&atlas.ListOptions{OmitCount: true}, url.Values{"includeCount": {"false"}}, 2},
	} {
		for _, l := range listers {
			t.Run(fmt.Sprintf("%s/%+v", l.name, tc.opts), func(t *testing.T) {
				f := setup(t)
				ids := l.add(f, 2)
				p, err := l.list(t.Context(), f.client, testGroupID, tc.opts)
				require.NoError(t, err)
				s := f.wire.only(t)
				assertSent(t, s, http.MethodGet, l.path, l.version, "")
				assert.Equal(t, tc.want, s.Query)
				assert.Len(t, p.ids, tc.n)
				assert.Subset(t, ids, p.ids)
				if tc.opts != nil && tc.opts.OmitCount {
					assert.Zero(t, p.total, "no count was asked for")
				} else {
					assert.Equal(t, 2, p.total)
				}
			})
		}
	}
}

func TestListPagesHoldEveryItemOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, l := range listers {
		t.Run(l.name, func(t *testing.T) {
			f := setup(t)
			ids := l.add(f, 7)
			var got []string
			for page, want := range []int{3, 3, 1} {
				p, err := l.list(t.Context(), f.client, testGroupID, &atlas.ListOptions{PageNum: page + 1, ItemsPerPage: 3})
				require.NoError(t, err)
				assert.Len(t, p.ids, want, "page %d", page+1)
				assert.Equal(t, 7, p.total, "page %d", page+1)
				hasNext := slices.ContainsFunc(p.links, func(l atlas.Link) bool { return l.Rel == "next" })
				assert.Equal(t, page < 2, hasNext, "page %d: a next link on all but the last page", page+1)
				got = append(got, p.ids...)
			}
			assert.Equal(t, ids, got)
		})
	}
}

func TestListAndAllRefuseBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	for _, tc := range []struct {
		ctx   context.Context
		group string
		opts  atlas.ListOptions
		param string
	}{
		{t.Context(), testGroupID, atlas.ListOptions{ItemsPerPage: 501}, "ItemsPerPage"},
		{t.Context(), testGroupID, atlas.ListOptions{ItemsPerPage: -1}, "ItemsPerPage"},
		{t.Context(), testGroupID, atlas.ListOptions{PageNum: -1}, "PageNum"},
		{t.Context(), testGroupID, atlas.ListOptions{PageNum: -3, ItemsPerPage: 10}, "PageNum"},
		{t.Context(), "not-a-group", atlas.ListOptions{}, "groupID"},
		{nilCtx, testGroupID, atlas.ListOptions{}, "ctx"},
	} {
		for _, l := range listers {
			t.Run(fmt.Sprintf("%s/%s/%+v", l.name, tc.group, tc.opts), func(t *testing.T) {
				f := setup(t)
				opts := tc.opts
				_, err := l.list(tc.ctx, f.client, tc.group, &opts)
				assertNothingSent(t, f, err, tc.param)

				n := 0
				for id, err := range l.all(tc.ctx, f.client, tc.group, &opts) {
					n++
					assert.Empty(t, id)
					assertNothingSent(t, f, err, tc.param)
				}
				assert.Equal(t, 1, n, "All yields the error once")
			})
		}
	}
}

func TestAllWalksEveryPageInOrder(t *testing.T) {
	t.Parallel()
	for _, l := range listers {
		t.Run(l.name, func(t *testing.T) {
			f := setup(t)
			ids := l.add(f, 7)
			seq := l.all(t.Context(), f.client, testGroupID, &atlas.ListOptions{ItemsPerPage: 3})
			assert.Zero(t, f.srv.Requests(l.route), "building the iterator sends nothing")

			assert.Equal(t, ids, collect(t, seq, func(s string) string { return s }))
			assert.Equal(t, 3, f.srv.Requests(l.route), "three pages of 3, 3 and 1")
			for i, s := range f.wire.requests() {
				assert.Equal(t, url.Values{"pageNum": {strconv.Itoa(i + 1)}, "itemsPerPage": {"3"}}, s.Query)
			}
		})
	}
}

func TestAllStartsAtPageNum(t *testing.T) {
	t.Parallel()
	for _, l := range listers {
		t.Run(l.name, func(t *testing.T) {
			f := setup(t)
			ids := l.add(f, 5)
			got := collect(t, l.all(t.Context(), f.client, testGroupID, &atlas.ListOptions{PageNum: 2, ItemsPerPage: 2}), func(s string) string { return s })
			assert.Equal(t, ids[2:], got)
			assert.Equal(t, 2, f.srv.Requests(l.route))
		})
	}
}

func TestAllFetchesNoPageAfterTheLoopBreaks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		take, pages int
	}{
		{take: 1, pages: 1}, // break inside the first page
		{take: 3, pages: 1}, // break on the first page's last item: the next page is not needed yet
		{take: 4, pages: 2}, // break inside the second page
	} {
		for _, l := range listers {
			t.Run(fmt.Sprintf("%s/take %d", l.name, tc.take), func(t *testing.T) {
				f := setup(t)
				ids := l.add(f, 9)
				var got []string
				for id, err := range l.all(t.Context(), f.client, testGroupID, &atlas.ListOptions{ItemsPerPage: 3}) {
					require.NoError(t, err)
					if got = append(got, id); len(got) == tc.take {
						break
					}
				}
				assert.Equal(t, ids[:tc.take], got)
				assert.Equal(t, tc.pages, f.srv.Requests(l.route), "only the pages the loop reached were fetched")
			})
		}
	}
}

func TestAllYieldsAFailedPageOnceAndStops(t *testing.T) {
	t.Parallel()
	for _, l := range listers {
		t.Run(l.name, func(t *testing.T) {
			f := setup(t)
			ids := l.add(f, 6)
			var got []string
			var errs []error
			for id, err := range l.all(t.Context(), f.client, testGroupID, &atlas.ListOptions{ItemsPerPage: 3}) {
				if err != nil {
					assert.Empty(t, id)
					errs = append(errs, err)
					continue // the iterator, not the caller, must end the walk
				}
				if got = append(got, id); len(got) == 1 {
					// Every attempt at the second page fails, retries included.
					f.srv.InjectFault(atlastest.Fault{Route: l.route, Status: http.StatusInternalServerError, Times: 100})
				}
			}
			assert.Equal(t, ids[:3], got, "the first page's items come before the error")
			require.Len(t, errs, 1, "the error is yielded once")
			assert.ErrorIs(t, errs[0], atlas.ErrServer)
			assert.Equal(t, 1+atlas.DefaultMaxAttempts, f.srv.Requests(l.route),
				"one good page, then the attempts at the failed one, then nothing")
		})
	}
}

// TestAllTrustsTheCountAndTheLinks serves pages that a server might send, and checks that
// All fetches exactly the pages that hold items: it never stops early while a page is full
// and totalCount says more remain, with or without a next link.
func TestAllTrustsTheCountAndTheLinks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		items    int
		pageSize int    // the server's own page size; 0 for the one asked for
		count    bool   // the page carries totalCount
		links    string // "none", "self", or "next" (self, and next while more remain)
		requests int
		yielded  int
	}{
		{"count, no links", 7, 0, true, "none", 3, 7},
		{"count, self link only", 7, 0, true, "self", 3, 7},
		{"count says the last full page is the last", 6, 0, true, "self", 2, 6},
		{"no count, no links: an empty page ends it", 6, 0, false, "none", 3, 6},
		{"no count, self link only: the links are trusted", 6, 0, false, "self", 1, 3},
		{"next links on pages shorter than asked", 7, 2, true, "next", 4, 7},
		{"a next link on an empty page", 0, 0, true, "next", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(exportsPath, func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("pageNum"))
				size, _ := strconv.Atoi(r.URL.Query().Get("itemsPerPage"))
				if tc.pageSize > 0 {
					size = tc.pageSize
				}
				writeJSON(w, http.StatusOK, fakePage(page, size, tc.items, tc.count, tc.links))
			})
			n := 0
			for job, err := range newClient(t, srv).Exports.All(t.Context(), testGroupID, testCluster, &atlas.ListOptions{ItemsPerPage: 3}) {
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("%024x", n), job.ID, "in order, none twice")
				n++
			}
			assert.Equal(t, tc.yielded, n)
			assert.EqualValues(t, tc.requests, srv.Requests())
		})
	}
}

// fakePage is page pageNum, of size items, of a list of total jobs with ids 0, 1, ...
func fakePage(pageNum, size, total int, count bool, links string) string {
	var results []string
	for i := (pageNum - 1) * size; i < min(pageNum*size, total); i++ {
		results = append(results, fmt.Sprintf(`{"id":"%024x","exportBucketId":%q}`, i, testBucket))
	}
	doc := `{"results":[` + strings.Join(results, ",") + `]`
	if count {
		doc += `,"totalCount":` + strconv.Itoa(total)
	}
	switch links {
	case "self":
		doc += `,"links":[{"rel":"self","href":"https://cloud.mongodb.com/self"}]`
	case "next":
		doc += `,"links":[{"rel":"self","href":"https://cloud.mongodb.com/self"},{"rel":"next","href":"https://cloud.mongodb.com/next"}]`
		if pageNum*size >= total && total > 0 {
			doc = strings.TrimSuffix(doc, `,{"rel":"next","href":"https://cloud.mongodb.com/next"}]`) + "]"
		}
	}
	return doc + "}"
}

// hostilePage is a page a server that does not page properly answers page n with.
type hostilePage func(n int) string

// jobsPage is a page of the jobs with ids ids, followed by rest (links, totalCount).
func jobsPage(rest string, ids ...int) string {
	var results []string
	for _, i := range ids {
		results = append(results, fmt.Sprintf(`{"id":"%024x","exportBucketId":%q}`, i, testBucket))
	}
	return `{"results":[` + strings.Join(results, ",") + `]` + rest + `}`
}

const nextLink = `,"links":[{"rel":"next","href":"https://cloud.mongodb.com/next"}]`

// hostilePagers are servers that, paged naively, would be walked forever.
var hostilePagers = []struct {
	name     string
	page     hostilePage
	requests int // pages fetched before the walk ends
	yielded  int // items yielded before the error
}{
	{"ignores pageNum", func(int) string { return jobsPage("", 0, 1, 2) }, 2, 3},
	{"ignores pageNum, with a next link", func(int) string { return jobsPage(nextLink, 0, 1, 2) }, 2, 3},
	{"rotates its items", func(n int) string { return jobsPage(nextLink, n%4, (n+1)%4, (n+2)%4) }, 2, 3},
	{"alternates two pages", func(n int) string { return jobsPage(nextLink, 3*(n%2), 3*(n%2)+1, 3*(n%2)+2) }, 3, 6},
	{"repeats an item within a page", func(int) string { return jobsPage(nextLink, 0, 1, 0) }, 1, 0},
	{"sends items without ids", func(int) string { return `{"results":[{},{},{}]` + nextLink + `}` }, 1, 0},
	{"sends null items", func(int) string { return `{"results":[null,null,null]` + nextLink + `}` }, 1, 0},
	{"sends one item without an id", func(n int) string {
		return strings.Replace(jobsPage(nextLink, 3*n, 3*n+1, 3*n+2), `"id":"000000000000000000000007",`, "", 1)
	}, 2, 3},
	{"never stops: new items and a next link on every page", func(n int) string { return jobsPage(nextLink, 3*n, 3*n+1, 3*n+2) }, 1000, 3000},
}

// TestAllEndsWhenTheServerDoesNotPage: a server that ignores pageNum, rotates its items,
// alternates pages, sends items without ids or never stops is walked to a bounded number of
// requests, and the walk ends with ErrInvalidResponse, yielded once after the good items.
func TestAllEndsWhenTheServerDoesNotPage(t *testing.T) {
	t.Parallel()
	for _, tc := range hostilePagers {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.Mux.HandleFunc(exportsPath, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("pageNum"))
				writeJSON(w, http.StatusOK, tc.page(n))
			})
			ids := map[string]bool{}
			var errs []error
			for job, err := range newClient(t, srv).Exports.All(t.Context(), testGroupID, testCluster, &atlas.ListOptions{ItemsPerPage: 3}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				assert.False(t, ids[job.ID], "no item twice")
				ids[job.ID] = true
			}
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], atlas.ErrInvalidResponse)
			assert.Len(t, ids, tc.yielded)
			assert.EqualValues(t, tc.requests, srv.Requests())
		})
	}
}

// TestAllEndsOnceTotalCountIsCovered: a server that sends a next link on every page is
// followed only until the items seen cover its totalCount.
func TestAllEndsOnceTotalCountIsCovered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		start, total, requests, yielded int
	}{
		{1, 7, 3, 9},
		{1, 6, 2, 6},
		{2, 7, 2, 6}, // the skipped first page counts
	} {
		t.Run(fmt.Sprintf("from page %d of %d items", tc.start, tc.total), func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(exportsPath, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("pageNum"))
				writeJSON(w, http.StatusOK, jobsPage(nextLink+`,"totalCount":`+strconv.Itoa(tc.total), 3*n, 3*n+1, 3*n+2))
			})
			n := 0
			for _, err := range newClient(t, srv).Exports.All(t.Context(), testGroupID, testCluster, &atlas.ListOptions{PageNum: tc.start, ItemsPerPage: 3}) {
				require.NoError(t, err)
				n++
			}
			assert.Equal(t, tc.yielded, n)
			assert.EqualValues(t, tc.requests, srv.Requests())
		})
	}
}

// TestEnsureAndLatestEndWhenTheServerDoesNotPage: both walk a list, so both end as All does.
func TestEnsureAndLatestEndWhenTheServerDoesNotPage(t *testing.T) {
	t.Parallel()
	for _, tc := range hostilePagers {
		if !strings.Contains(tc.page(1), nextLink) {
			continue // a page shorter than the 500 asked for ends the walk
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			page := func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("pageNum"))
				assert.Equal(t, "500", r.URL.Query().Get("itemsPerPage"))
				writeJSON(w, http.StatusOK, tc.page(n))
			}
			srv.Mux.HandleFunc("GET "+exportsPath, page)
			srv.Mux.HandleFunc("GET "+snapshotsPath, page)
			c := newClient(t, srv)

			// No job is for this snapshot and bucket, so Ensure walks to the end.
			job, err := c.Exports.Ensure(t.Context(), testGroupID, testCluster, &atlas.CreateExportJobRequest{SnapshotID: testOtherID, ExportBucketID: testBucket})
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrInvalidResponse)
			assert.EqualValues(t, tc.requests, srv.Requests(), "Ensure's requests; no create")

			snap, err := c.Snapshots.Latest(t.Context(), testGroupID, testCluster)
			assert.Nil(t, snap)
			require.ErrorIs(t, err, atlas.ErrInvalidResponse)
			assert.EqualValues(t, 2*tc.requests, srv.Requests(), "Latest's requests")
		})
	}
}

// A page with links but no results decodes to nil Results on every list, as encoding/json
// decodes it: nothing is made up that the server did not send, and All yields nothing.
func TestAPageWithoutResultsHasNilResults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, `{"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}]}`)
	})
	c := newClient(t, srv)
	ctx := t.Context()
	jobs, err := c.Exports.List(ctx, testGroupID, testCluster, nil)
	require.NoError(t, err)
	assert.Nil(t, jobs.Results)
	buckets, err := c.ExportBuckets.List(ctx, testGroupID, nil)
	require.NoError(t, err)
	assert.Nil(t, buckets.Results)
	snapshots, err := c.Snapshots.List(ctx, testGroupID, testCluster, nil)
	require.NoError(t, err)
	assert.Nil(t, snapshots.Results)
	sharded, err := c.Snapshots.ListSharded(ctx, testGroupID, testCluster, nil)
	require.NoError(t, err)
	assert.Nil(t, sharded.Results)
	assert.Empty(t, collect(t, c.Exports.All(ctx, testGroupID, testCluster, nil), jobID))
}
