package atlastest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// page is the list answer as tests read it.
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

func TestListPaging(t *testing.T) {
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("%024x", 0xf00+(7-i)) // ids descending: order must be creation, not id
		srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: id, ExportBucketID: bucket, State: atlas.ExportStateSuccessful})
		want = append(want, id)
	}

	t.Run("follow next links", func(t *testing.T) {
		var got []string
		next := exportsURL(srv, "") + "?itemsPerPage=3&envelope=false"
		for pages := 0; next != ""; pages++ {
			require.Less(t, pages, 3)
			var p page
			decode(t, bearerGet(t, hc, next, token), &p)
			require.NotNil(t, p.TotalCount)
			assert.Equal(t, 7, *p.TotalCount)
			assert.Equal(t, next, linkTo(p.Links, "self"))
			for _, j := range p.Results {
				got = append(got, j.ID)
				assert.Equal(t, exportsURL(srv, j.ID), linkTo(j.Links, "self"))
			}
			next = linkTo(p.Links, "next")
		}
		assert.Equal(t, want, got)
	})
	t.Run("defaults", func(t *testing.T) {
		var p page
		decode(t, bearerGet(t, hc, exportsURL(srv, ""), token), &p)
		assert.Len(t, p.Results, 7)
		assert.Empty(t, linkTo(p.Links, "next"))
		assert.Empty(t, linkTo(p.Links, "previous"))
	})
	t.Run("includeCount=false", func(t *testing.T) {
		resp := bearerGet(t, hc, exportsURL(srv, "")+"?includeCount=false&pageNum=2&itemsPerPage=5", token)
		var raw map[string]json.RawMessage
		decode(t, resp, &raw)
		assert.NotContains(t, raw, "totalCount")
		var p page
		require.NoError(t, json.Unmarshal(raw["links"], &p.Links))
		assert.Contains(t, linkTo(p.Links, "previous"), "pageNum=1")
		assert.Empty(t, linkTo(p.Links, "next"))
	})
	t.Run("past the end", func(t *testing.T) {
		resp := bearerGet(t, hc, exportsURL(srv, "")+"?pageNum=9", token)
		var raw map[string]json.RawMessage
		decode(t, resp, &raw)
		assert.JSONEq(t, `[]`, string(raw["results"]))
		assert.JSONEq(t, `7`, string(raw["totalCount"]))
	})
	t.Run("empty cluster", func(t *testing.T) {
		srv.AddCluster(groupID, "Empty")
		resp := bearerGet(t, hc, strings.Replace(exportsURL(srv, ""), cluster, "Empty", 1), token)
		var raw map[string]json.RawMessage
		decode(t, resp, &raw)
		assert.JSONEq(t, `[]`, string(raw["results"]))
		assert.JSONEq(t, `0`, string(raw["totalCount"]))
	})

	for _, tt := range []struct{ query, field string }{
		{"itemsPerPage=0", "itemsPerPage"},
		{"itemsPerPage=501", "itemsPerPage"},
		{"itemsPerPage=ten", "itemsPerPage"},
		{"pageNum=0", "pageNum"},
		{"pageNum=-1", "pageNum"},
		{"includeCount=maybe", "includeCount"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			e := requireAPIError(t, bearerGet(t, hc, exportsURL(srv, "")+"?"+tt.query, token), 400, "INVALID_PARAMETER")
			require.NotNil(t, e.BadRequestDetail)
			assert.Equal(t, tt.field, e.BadRequestDetail.Fields[0].Field)
		})
	}
}

func TestCreate(t *testing.T) {
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTotalCollections(5))
	seedExportable(t, srv)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	post := func(contentType, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, exportsURL(srv, ""), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/vnd.atlas.2025-03-12+json")
		req.Header.Set("Content-Type", contentType)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		return resp
	}

	t.Run("created", func(t *testing.T) {
		body := `{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `",
			"customData":[{"key":"team","value":"data"}],"links":[{"href":"x","rel":"self"}]}`
		j := readJob(t, post("application/vnd.atlas.2023-01-01+json", body))
		assert.Regexp(t, `^[a-f0-9]{24}$`, j.ID)
		assert.Equal(t, snapshot, j.SnapshotID)
		assert.Equal(t, bucket, j.ExportBucketID)
		assert.Equal(t, atlas.ExportStateQueued, j.State)
		assert.Equal(t, epoch, j.CreatedAt)
		assert.True(t, j.FinishedAt.IsZero())
		assert.Nil(t, j.StateReason)
		assert.Equal(t, &atlas.ExportStatus{ExportedCollections: 0, TotalCollections: 5}, j.ExportStatus)
		assert.Equal(t, []atlas.Label{{Key: "team", Value: "data"}}, j.CustomData)
		assert.Regexp(t, `^/exported_snapshots/[a-f0-9]{24}/`+groupID+`/`+cluster+`/2025-03-12T0930Z/1741771800$`, j.Prefix)
		assert.Equal(t, []atlas.Link{{Href: exportsURL(srv, j.ID), Rel: "self"}}, j.Links)

		stored, ok := srv.ExportJob(groupID, cluster, j.ID)
		require.True(t, ok)
		assert.Equal(t, j.Prefix, stored.Prefix)
	})

	snap, buck := `"snapshotId":"`+snapshot+`"`, `"exportBucketId":"`+bucket+`"`
	for _, tt := range []struct {
		name, body string
		fields     []string
	}{
		{"empty object", `{}`, []string{"snapshotId", "exportBucketId"}},
		{"null ids", `{"snapshotId":null,"exportBucketId":null}`, []string{"snapshotId", "exportBucketId"}},
		{"short snapshot id", `{"snapshotId":"abc",` + buck + `}`, []string{"snapshotId"}},
		{"bucket id as number", `{` + snap + `,"exportBucketId":42}`, []string{"exportBucketId"}},
		{"uppercase bucket id", `{` + snap + `,"exportBucketId":"` + strings.ToUpper(bucket) + `"}`, []string{"exportBucketId"}},
		{"customData object", `{` + snap + `,` + buck + `,"customData":{"key":"a"}}`, []string{"customData"}},
		{"customData value number", `{` + snap + `,` + buck + `,"customData":[{"key":"a","value":1}]}`, []string{"customData[0].value"}},
		{"customData unknown key", `{` + snap + `,` + buck + `,"customData":[{"name":"a"}]}`, []string{"customData[0].name"}},
		{"unknown attribute", `{` + snap + `,` + buck + `,"snapshotID":"x"}`, []string{"snapshotID"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := requireAPIError(t, post("application/json", tt.body), http.StatusBadRequest, "VALIDATION_ERROR")
			require.NotNil(t, e.BadRequestDetail)
			var fields []string
			for _, f := range e.BadRequestDetail.Fields {
				fields = append(fields, f.Field)
				assert.NotEmpty(t, f.Description)
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
	for _, body := range []string{``, `[]`, `null`, `{"snapshotId":`, `{}{}`, `"x"`} {
		t.Run("malformed "+body, func(t *testing.T) {
			requireAPIError(t, post("application/json; charset=utf-8", body), http.StatusBadRequest, "MALFORMED_JSON")
		})
	}
	t.Run("oversized", func(t *testing.T) {
		body := `{"customData":[` + strings.Repeat(`{"key":"k","value":"v"},`, 1<<16) + `{}]}`
		requireAPIError(t, post("application/json", body), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
	})
	assert.Len(t, srv.ExportJobs(groupID, cluster), 1, "refused requests create nothing")
}

func TestAddExportJobStoresACopy(t *testing.T) {
	srv := newServer(t)
	job := &atlas.ExportJob{ExportBucketID: bucket, ExportStatus: &atlas.ExportStatus{TotalCollections: 2},
		CustomData: []atlas.Label{{Key: "k", Value: "v"}}}
	id := srv.AddExportJob(groupID, "New", job)
	assert.Regexp(t, `^[a-f0-9]{24}$`, id)
	assert.Empty(t, job.ID, "the caller's job is not modified")
	job.ExportStatus.ExportedCollections = 2
	job.CustomData[0].Value = "changed"

	got, ok := srv.ExportJob(groupID, "New", id)
	require.True(t, ok)
	assert.Equal(t, int32(0), got.ExportStatus.ExportedCollections)
	assert.Equal(t, "v", got.CustomData[0].Value)
	got.CustomData[0].Value = "changed too"
	again, _ := srv.ExportJob(groupID, "New", id)
	assert.Equal(t, "v", again.CustomData[0].Value)

	_, ok = srv.ExportJob(groupID, cluster, id)
	assert.False(t, ok, "the job lives in its own cluster only")

	// The same id again replaces the job, also across clusters.
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: id, ExportBucketID: bucket, State: atlas.ExportStateFailed})
	assert.Empty(t, srv.ExportJobs(groupID, "New"))
	moved, ok := srv.ExportJob(groupID, cluster, id)
	require.True(t, ok)
	assert.Equal(t, atlas.ExportStateFailed, moved.State)
	assert.Nil(t, srv.ExportJobs(groupID, "Missing"))
}

func TestPrettyPrint(t *testing.T) {
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	for _, tt := range []struct {
		query  string
		pretty bool
	}{{"?pretty=true", true}, {"?pretty=false&envelope=false", false}, {"", false}, {"?pretty=yes", false}} {
		resp := bearerGet(t, hc, exportsURL(srv, id)+tt.query, token)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, tt.pretty, bytes.Contains(buf.Bytes(), []byte("\n  \"")), "query %q: %s", tt.query, buf.String())
	}
	// Errors are pretty too.
	resp := bearerGet(t, hc, exportsURL(srv, "dddddddddddddddddddddddd")+"?pretty=true", token)
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, buf.String(), "\n  \"errorCode\": \"EXPORT_JOB_NOT_FOUND\"")
}
