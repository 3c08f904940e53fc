package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocatedBy returns the bytes the process allocated while f ran. Tests that use it do not
// run in parallel, so the count is f's (and its server's, if it has one).
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// patternReader yields n bytes of 'a' from one small buffer, so only its caller allocates.
type patternReader struct{ n int64 }

var aaaa = []byte(strings.Repeat("a", 32<<10))

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), r.n)], aaaa)
	r.n -= int64(k)
	return k, nil
}

func TestReadBodyAtTheCap(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	// Small caps keep this cheap; they still cross every boundary of the buffering: the first
	// pooled buffer, its doubling up to pooledMax, and the chunks after it.
	for _, limit := range []int64{1, 100, pooledMin - 1, pooledMin, pooledMin + 1, pooledMax, pooledMax + 5} {
		sizes := []int64{0, limit - 1, limit, limit + 1}
		if limit < pooledMin {
			sizes = append(sizes, 2*limit+1) // well past the cap; the large caps need only its edge
		}
		for _, size := range sizes {
			for _, known := range []bool{true, false} {
				length := int64(-1)
				if known {
					length = size
				}
				var b bodyBuffers
				body, err := b.read(b.get(), &patternReader{n: size}, length, limit, false)
				if size <= limit {
					require.NoError(t, err, "a %d-byte body under a cap of %d (length %d)", size, limit, length)
					require.Len(t, body, int(size))
					continue
				}
				assert.Nil(t, body)
				require.ErrorIs(t, err, ErrBodyTooLarge, "a %d-byte body over a cap of %d (length %d)", size, limit, length)
				assert.Contains(t, err.Error(), strconv.FormatInt(limit, 10)+"-byte cap")

				// An error body is cut at the cap instead.
				body, err = b.read(b.get(), &patternReader{n: size}, length, limit, true)
				require.NoError(t, err)
				assert.Len(t, body, int(limit))
			}
		}
	}
}

func TestReadBodyRefusesWhatItWasNotPromised(t *testing.T) {
	var b bodyBuffers
	// A Content-Length over the cap is refused before reading anything.
	_, err := b.read(b.get(), iotest.ErrReader(errors.New("read")), 9, 8, false)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Contains(t, err.Error(), "Content-Length 9 is over the 8-byte cap")
	// A body longer than its announced length (a transport other than net/http's could give
	// one) is still held to the cap.
	body, err := b.read(b.get(), &patternReader{n: 10}, 4, 8, false)
	assert.Nil(t, body)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	// A read that fails is the caller's error, not a short body.
	boom := errors.New("connection reset")
	_, err = b.read(b.get(), io.MultiReader(&patternReader{n: 5}, iotest.ErrReader(boom)), -1, 8, false)
	require.ErrorIs(t, err, boom)
}

func TestDecodeJSON(t *testing.T) {
	type doc struct {
		ID string `json:"id"`
	}
	for _, tt := range []struct {
		name, body, want string
	}{
		{"empty", "", "empty body"},
		{"blank", " \r\n\t", "empty body"},
		{"not JSON", "<html>", "invalid character"},
		{"cut short", `{"id":"x`, "unexpected end of JSON input"},
		{"two documents", `{"id":"x"} {"id":"y"}`, "after top-level value"},
		{"wrong type", `{"id":7}`, "cannot unmarshal number"},
		{"too deep", `{"id":"x","a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}", errTooDeep.Error()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out doc
			err := decodeJSON([]byte(tt.body), &out, decoding{})
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	var out doc
	require.NoError(t, decodeJSON([]byte(" {\"id\":\"x\"}\n"), &out, decoding{}))
	assert.Equal(t, "x", out.ID)
}

// streamBody writes prefix and then n bytes of 'a' from one small buffer, so that the server
// allocates next to nothing whatever n is, and stops once the client has gone.
func streamBody(w io.Writer, prefix string, n int64) {
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	for n > 0 {
		k := min(n, int64(len(aaaa)))
		if _, err := w.Write(aaaa[:k]); err != nil {
			return
		}
		n -= k
	}
}

// serverClient starts h on a loopback server and returns a client for it with an access
// token and retries off.
func serverClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL), WithAccessToken("test-token"), WithRetry(RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	return c
}

// TestOversizedSuccessBodyIsRefusedWithBoundedMemory sends a job longer than the cap, with and
// without a Content-Length, and checks that the client refuses it naming the cap, having
// allocated no more than the cap.
func TestOversizedSuccessBodyIsRefusedWithBoundedMemory(t *testing.T) {
	const size = MaxResponseBytes + 1<<20
	const prefix = `{"id":"`
	for _, tc := range []struct {
		name       string
		withLength bool
		maxAlloc   uint64
	}{
		// The header alone tells the body is too large: nothing needs reading.
		{"content-length", true, 1 << 20},
		// Chunked: the client must read up to the cap to know, and keeps no more than that.
		{"chunked", false, MaxResponseBytes + 8<<20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serverClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", MediaType)
				if tc.withLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(prefix)+size))
				}
				streamBody(w, prefix, size)
			})
			var job *ExportJob
			var err error
			alloc := allocatedBy(func() {
				job, err = c.Exports.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
			})
			assert.Nil(t, job)
			require.ErrorIs(t, err, ErrBodyTooLarge)
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Contains(t, err.Error(), strconv.Itoa(MaxResponseBytes))
			t.Logf("allocated %.1f MiB refusing a %d MiB body", float64(alloc)/(1<<20), size>>20)
			assert.LessOrEqual(t, alloc, tc.maxAlloc)
		})
	}
}

// TestErrorBodyIsReadWithBoundedMemory sends a 4 MiB error body: the client reads at most
// MaxErrorBytes of it.
func TestErrorBodyIsReadWithBoundedMemory(t *testing.T) {
	c := serverClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		streamBody(w, "<p>bad gateway</p>", 4<<20)
	})
	var err error
	alloc := allocatedBy(func() {
		_, err = c.Exports.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
	})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, MaxErrorBytes)
	t.Logf("allocated %.2f MiB for a 4 MiB error body", float64(alloc)/(1<<20))
	assert.LessOrEqual(t, alloc, uint64(2<<20))
}

// TestDecodeReservesPageResults checks that sizing a page's results before decoding changes
// nothing a caller sees: the same jobs, nil Results when the page has none, and null still
// refused.
func TestDecodeReservesPageResults(t *testing.T) {
	decode := func(body string) (*ExportJobPage, error) {
		out := new(ExportJobPage) // as doJSON decodes a page
		shape := pageShape
		shape.nonNull = true
		return out, decodeJSON([]byte(body), out, decoding{shape: shape, reserve: out})
	}
	p, err := decode(`{"results":[{"id":"a"},{"id":"b"}],"totalCount":2}`)
	require.NoError(t, err)
	require.Len(t, p.Results, 2)
	assert.Equal(t, 2, cap(p.Results), "sized once, from the pre-scan")
	assert.Equal(t, "b", p.Results[1].ID)
	for _, body := range []string{`{"totalCount":0}`, `{"results":null}`} {
		p, err := decode(body)
		require.NoError(t, err)
		assert.Nil(t, p.Results, body)
	}
	_, err = decode(" null\n")
	assert.ErrorIs(t, err, ErrInvalidResponse)
}

// TestDecodedValuesDoNotAliasThePooledBuffer checks that a document decoded from a pooled
// buffer keeps its values after the buffer is handed back and overwritten by the next body,
// whether encoding/json or the plain reader decoded it.
func TestDecodedValuesDoNotAliasThePooledBuffer(t *testing.T) {
	body := `{"results":[` + plainJob + `,` + plainJob + `],"links":[{"href":"https://x/y","rel":"self"}]}`
	want, err := referenceDecode[ExportJobPage]([]byte(body), pageShape)
	require.NoError(t, err)
	for name, plain := range map[string]bool{"encoding/json": false, "plain reader": true} {
		t.Run(name, func(t *testing.T) {
			var bufs bodyBuffers
			p := bufs.get()
			data, err := bufs.read(p, strings.NewReader(body), int64(len(body)), MaxResponseBytes, false)
			require.NoError(t, err)
			out := new(ExportJobPage)
			d := decoding{shape: pageShape}
			if plain {
				d.plain = out
			}
			require.NoError(t, decodeJSON(data, out, d))
			for i := range data {
				data[i] = 'x'
			}
			bufs.put(p)
			assert.Equal(t, want, out)
		})
	}
}

// benchPage is a 500-job page as the API sends it, every field of every job set.
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	p := ExportJobPage{TotalCount: maxPageResults}
	for i := range maxPageResults {
		created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		p.Results = append(p.Results, &ExportJob{
			ID: fmt.Sprintf("6a0b1c2d3e4f5a6b7c8d%04x", i), SnapshotID: "64b1c2d3e4f5a6b7c8d9e0f1",
			ExportBucketID: "64b1c2d3e4f5a6b7c8d9e0f2", Prefix: "/exports/bench-cluster/2026-01-02T0304Z",
			State: ExportStateSuccessful, ExportStatus: &ExportStatus{ExportedCollections: 12, TotalCollections: 12},
			CreatedAt: created, FinishedAt: created.Add(time.Hour),
			Components: []ExportComponent{{ExportID: "a", ReplicaSetName: "rs0"}, {ExportID: "b", ReplicaSetName: "rs1"}},
			CustomData: []Label{{Key: "team", Value: "backup"}},
			Links:      []Link{{Href: "https://cloud.mongodb.com/api/atlas/v2/groups/x", Rel: "self"}},
		})
	}
	b, err := json.Marshal(p)
	require.NoError(tb, err)
	return b
}

// BenchmarkPageDecode splits a 500-job page's decode: the shape pre-scan alone, encoding/json's
// own validity scan (which Unmarshal runs first) for scale, and the whole decodeJSON, through
// encoding/json and through the plain reader.
func BenchmarkPageDecode(b *testing.B) {
	page := benchPage(b)
	b.Run("shape-scan", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if _, err := pageShape.check(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-valid", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if !json.Valid(page) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("decodeJSON/encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			out := new(ExportJobPage)
			if err := decodeJSON(page, out, decoding{shape: pageShape, reserve: out}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeJSON/plain", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			out := new(ExportJobPage)
			if err := decodeJSON(page, out, decoding{shape: pageShape, reserve: out, plain: out}); err != nil {
				b.Fatal(err)
			}
			if len(out.Results) != maxPageResults {
				b.Fatal("short page")
			}
		}
	})
}
