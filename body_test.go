package atlas

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

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

// response is a response with body r and the given Content-Length (-1 for unknown).
func response(r io.Reader, length int64) *http.Response {
	return &http.Response{Body: io.NopCloser(r), ContentLength: length}
}

func TestReadBodyAtTheCap(t *testing.T) {
	for _, limit := range []int64{1, 100, 4 << 10, 1 << 20} {
		for _, size := range []int64{0, limit - 1, limit, limit + 1, 2*limit + 1} {
			for _, known := range []bool{true, false} {
				length := int64(-1)
				if known {
					length = size
				}
				body, err := readBody(response(&patternReader{n: size}, length), limit)
				if size <= limit {
					require.NoError(t, err, "a %d-byte body under a cap of %d (length %d)", size, limit, length)
					require.Len(t, body, int(size))
				} else {
					assert.Nil(t, body)
					require.ErrorIs(t, err, ErrBodyTooLarge, "a %d-byte body over a cap of %d (length %d)", size, limit, length)
					assert.Contains(t, err.Error(), strconv.FormatInt(limit, 10)+"-byte cap")
				}
				// An error body is cut at the cap instead.
				assert.Len(t, readErrorBody(response(&patternReader{n: size}, length), limit), int(min(size, limit)))
			}
		}
	}
}

func TestReadBodyRefusesWhatItWasNotPromised(t *testing.T) {
	// A Content-Length over the cap is refused before reading anything.
	_, err := readBody(response(iotest.ErrReader(errors.New("read")), 9), 8)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Contains(t, err.Error(), "Content-Length 9 is over the 8-byte cap")
	// A body longer than its announced length (a transport other than net/http's could give
	// one) is still held to the cap.
	body, err := readBody(response(&patternReader{n: 10}, 4), 8)
	assert.Nil(t, body)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	// A read that fails is the caller's error, not a short body.
	boom := errors.New("connection reset")
	_, err = readBody(response(io.MultiReader(&patternReader{n: 5}, iotest.ErrReader(boom)), -1), 8)
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
		{"null", " null ", "JSON null"},
		{"too deep", `{"id":"x","a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}", errTooDeep.Error()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out doc
			err := decodeJSON([]byte(tt.body), &out, shapeLimits{})
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	var out doc
	require.NoError(t, decodeJSON([]byte(" {\"id\":\"x\"}\n"), &out, shapeLimits{}))
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

// TestOversizedSuccessBodyIsRefusedWithBoundedMemory sends a 1 GiB job, with and
// without a Content-Length, and checks that the client refuses it naming the cap, having
// allocated no more than the cap.
func TestOversizedSuccessBodyIsRefusedWithBoundedMemory(t *testing.T) {
	const size = 1 << 30 // the server stops writing once the client has gone
	const prefix = `{"id":"`
	for _, tc := range []struct {
		name       string
		withLength bool
		maxAlloc   uint64
	}{
		// The header alone tells the body is too large: nothing needs reading.
		{"content-length", true, 1 << 20},
		// Chunked: the client must read up to the cap to know. io.ReadAll's growth allocates
		// about 2.3 times what it reads in all (twice that under -race): a bound on the cap,
		// never on the body's size.
		{"chunked", false, 5 * MaxResponseBytes},
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
