package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// plainPage is what a plain encoding/json user would declare for the page document.
type plainPage struct {
	Results    []*atlas.ExportJob `json:"results"`
	TotalCount int                `json:"totalCount"`
	Links      []atlas.Link       `json:"links"`
}

// BenchmarkPage500 reads a 500-job page (about 300 KB). The wire cases fetch it from the
// fake: the SDK's List against a plain GET decoded by encoding/json, both warm, one bearer
// token. The memory cases take the fake's page bytes, fetched once, out of the timing: the
// floor decodes them with encoding/json's Decoder; the SDK's List reads them from an
// in-memory RoundTripper, so its whole request path (http.Client, auth, body read, shape
// pre-scan, json.Unmarshal) runs but no socket does. The floor here has no request path at
// all: the SDK's figure is an upper bound on what it adds to a decode.
func BenchmarkPage500(b *testing.B) {
	ctx := context.Background()
	opts := &atlas.ListOptions{ItemsPerPage: fakeproc.PageJobs}
	check := func(b *testing.B, n int) {
		if n != fakeproc.PageJobs {
			b.Fatalf("page has %d jobs, want %d", n, fakeproc.PageJobs)
		}
	}

	b.Run("wire/floor", func(b *testing.B) {
		hc := floorClient(floorTransport())
		target := fake.URL + pagePath + pageQuery
		run(b, func() {
			var p plainPage
			if err := floorGet(ctx, hc, target, &p); err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Results))
		})
	})
	b.Run("wire/sdk-bearer", func(b *testing.B) {
		c := newSDK(b, modeBearer, nil)
		run(b, func() {
			p, err := c.Exports.List(ctx, fakeproc.GroupID, fakeproc.PageCluster, opts)
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Results))
		})
	})

	page := fetchBody(b, pagePath+pageQuery)
	b.Run("memory/floor", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		run(b, func() {
			var p plainPage
			if err := json.NewDecoder(bytes.NewReader(page)).Decode(&p); err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Results))
		})
	})
	b.Run("memory/sdk-bearer", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		c := newSDK(b, modeBearer, &http.Client{Transport: cannedTransport(page)})
		run(b, func() {
			p, err := c.Exports.List(ctx, fakeproc.GroupID, fakeproc.PageCluster, opts)
			if err != nil {
				b.Fatal(err)
			}
			check(b, len(p.Results))
		})
	})
}

// run times f after one untimed warm-up call, and reports the client process's CPU time per
// call as cpu-ns/op.
func run(b *testing.B, f func()) {
	f()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		f()
	}
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// fetchBody returns the body the fake sends for a GET of path (and query).
func fetchBody(tb testing.TB, path string) []byte {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, fake.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", atlas.MediaType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := control.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d, %v", path, resp.StatusCode, err)
	}
	return body
}

// cannedTransport answers every request with 200 and body, as a server on the wire would.
type cannedTransport []byte

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {atlas.MediaType}, "Content-Length": {strconv.Itoa(len(t))}},
		ContentLength: int64(len(t)),
		Body:          io.NopCloser(bytes.NewReader(t)),
		Request:       req,
	}, nil
}
