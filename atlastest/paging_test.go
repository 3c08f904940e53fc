package atlastest_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// page is an export-job list answer as tests read it.
type page struct {
	Links      []atlas.Link       `json:"links"`
	Results    []*atlas.ExportJob `json:"results"`
	TotalCount *int               `json:"totalCount"`
}

func linkTo(links []atlas.Link, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// listItem is what paging needs of any listed resource: its id (export buckets call it _id)
// and its links.
type listItem struct {
	ID       string       `json:"id"`
	BucketID string       `json:"_id"`
	Links    []atlas.Link `json:"links"`
}

func (i listItem) id() string { return i.ID + i.BucketID }

type anyPage struct {
	Links      []atlas.Link `json:"links"`
	Results    []listItem   `json:"results"`
	TotalCount *int         `json:"totalCount"`
}

// TestListPaging runs the spec's paging parameters against the three paged lists.
func TestListPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	for _, list := range []struct {
		name, url string
		add       func(id string)
	}{
		{"export jobs", exportsURL(srv, ""), func(id string) {
			srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: id, ExportBucketID: bucket, State: atlas.ExportStateSuccessful})
		}},
		{"export buckets", srv.URL + groupPath + "/backup/exportBuckets", func(id string) { srv.AddExportBucket(groupID, &atlas.ExportBucket{ID: id}) }},
		{"snapshots", snapshotsURL(srv, ""), func(id string) { srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{ID: id}) }},
	} {
		t.Run(list.name, func(t *testing.T) {
			get := func(query string) map[string]json.RawMessage {
				t.Helper()
				var raw map[string]json.RawMessage
				decode(t, bearerGet(t, hc, list.url+query, token), &raw)
				return raw
			}
			empty := get("")
			assert.JSONEq(t, `[]`, string(empty["results"]))
			assert.JSONEq(t, `0`, string(empty["totalCount"]))

			var want []string
			for i := range 7 {
				id := fmt.Sprintf("%024x", 0xf00+(7-i)) // ids descending: order must be creation, not id
				list.add(id)
				want = append(want, id)
			}
			var got []string
			next := list.url + "?itemsPerPage=3&envelope=false"
			for pages := 0; next != ""; pages++ {
				require.Less(t, pages, 3)
				var p anyPage
				decode(t, bearerGet(t, hc, next, token), &p)
				require.NotNil(t, p.TotalCount)
				assert.Equal(t, 7, *p.TotalCount)
				assert.Equal(t, next, linkTo(p.Links, "self"))
				for _, item := range p.Results {
					got = append(got, item.id())
					assert.Equal(t, list.url+"/"+item.id(), linkTo(item.Links, "self"))
				}
				next = linkTo(p.Links, "next")
			}
			assert.Equal(t, want, got)

			var all anyPage
			decode(t, bearerGet(t, hc, list.url, token), &all)
			assert.Len(t, all.Results, 7, "100 a page by default")
			assert.Empty(t, linkTo(all.Links, "next")+linkTo(all.Links, "previous"))

			raw := get("?includeCount=false&pageNum=2&itemsPerPage=5")
			assert.NotContains(t, raw, "totalCount")
			var links []atlas.Link
			require.NoError(t, json.Unmarshal(raw["links"], &links))
			assert.Contains(t, linkTo(links, "previous"), "pageNum=1")
			assert.Empty(t, linkTo(links, "next"))

			raw = get("?pageNum=9")
			assert.JSONEq(t, `[]`, string(raw["results"]))
			assert.JSONEq(t, `7`, string(raw["totalCount"]))

			for _, tt := range []struct{ query, field string }{
				{"itemsPerPage=0", "itemsPerPage"},
				{"itemsPerPage=501", "itemsPerPage"},
				{"itemsPerPage=ten", "itemsPerPage"},
				{"pageNum=0", "pageNum"},
				{"pageNum=-1", "pageNum"},
				{"includeCount=maybe", "includeCount"},
			} {
				e := requireAPIError(t, bearerGet(t, hc, list.url+"?"+tt.query, token), 400, "INVALID_PARAMETER")
				require.NotNil(t, e.BadRequestDetail)
				assert.Equal(t, tt.field, e.BadRequestDetail.Fields[0].Field, tt.query)
			}
		})
	}
}
