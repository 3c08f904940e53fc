package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets drive the client's real request path (do, decodeJSON, newAPIError,
// doJSON) with a transport that answers with the fuzzer's bytes, so no network is involved.
// Seeds built from the spec's examples are in testdata/fuzz/<target>/. In CI, .ci/fuzz runs
// each target briefly.

// IDs in the spec's example form, for the canned client's requests.
const (
	cannedGroupID  = "32b6e34b3d91647abb20e7b8"
	cannedExportID = "32b6e34b3d91647abb20e7b9"
	cannedCluster  = "Cluster0"
)

// cannedTransport answers every request with one response.
type cannedTransport struct {
	status  int
	header  http.Header
	body    []byte
	chunked bool // no Content-Length, as with a chunked body
}

func (c cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	length := int64(len(c.body))
	if c.chunked {
		length = -1
	}
	header := c.header.Clone()
	if header == nil {
		header = http.Header{"Content-Type": {MediaType}}
	}
	return &http.Response{
		StatusCode:    c.status,
		Status:        strconv.Itoa(c.status) + " " + http.StatusText(c.status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: length,
		Request:       req,
	}, nil
}

// cannedClient is a client, without retries, whose every request gets rt's response.
func cannedClient(t *testing.T, rt cannedTransport) *Client {
	c, err := NewClient(
		WithBaseURL("https://atlas.invalid"),
		WithAccessToken("fuzz-token"),
		WithHTTPClient(&http.Client{Transport: rt}),
		WithRetry(RetryPolicy{MaxAttempts: 1}),
	)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// checkOneOf fails unless exactly one of a result and an error came back, and an error from a
// 200 is ErrInvalidResponse.
func checkOneOf(t *testing.T, got bool, err error) {
	t.Helper()
	if got == (err != nil) {
		t.Fatalf("result present = %v, err = %v; want exactly one", got, err)
	}
	if err != nil && !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("err = %v from a 200, want ErrInvalidResponse", err)
	}
}

// checkStableEncoding fails unless v re-encodes to the same JSON after one decode: what the
// client returns is a well-formed value of its type.
func checkStableEncoding[T any](t *testing.T, v *T) {
	t.Helper()
	first, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("a decoded %T does not encode: %v", v, err)
	}
	var again T
	if err := json.Unmarshal(first, &again); err != nil {
		t.Fatalf("a decoded %T encodes to JSON it cannot decode: %v\n%s", v, err, first)
	}
	second, err := json.Marshal(&again)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("re-encoding is not stable:\n%s\n%s", first, second)
	}
}

func FuzzDecodeExportJob(f *testing.F) {
	f.Add([]byte(`{}`), false)
	f.Add([]byte(`null`), true)
	f.Add([]byte(``), false)
	f.Fuzz(func(t *testing.T, body []byte, chunked bool) {
		c := cannedClient(t, cannedTransport{status: 200, body: body, chunked: chunked})
		job, err := c.Exports.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
		checkOneOf(t, job != nil, err)
		if job != nil {
			checkStableEncoding(t, job)
			_ = job.State.IsTerminal()
		}
	})
}

func FuzzDecodeExportJobPage(f *testing.F) {
	f.Add([]byte(`{"results":[]}`), false)
	f.Add([]byte(`{"results":[null]}`), true)
	f.Add([]byte(`[]`), false)
	f.Fuzz(func(t *testing.T, body []byte, chunked bool) {
		c := cannedClient(t, cannedTransport{status: 200, body: body, chunked: chunked})
		page, err := c.Exports.List(context.Background(), cannedGroupID, cannedCluster, &ListOptions{ItemsPerPage: 2})
		checkOneOf(t, page != nil, err)
		if page != nil {
			checkStableEncoding(t, page)
			_ = morePages(len(page.Results), 2, 1, page.TotalCount, page.Links)
		}
	})
}

func FuzzAPIError(f *testing.F) {
	f.Add(404, []byte(`{"error":404,"errorCode":"RESOURCE_NOT_FOUND"}`), "")
	f.Add(429, []byte(`{"error":429,"errorCode":"RATE_LIMITED"}`), "30")
	f.Add(503, []byte(``), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		// Any status that is not a success: 1xx and 3xx without Location come back as they are.
		status = 300 + int(uint(status)%300)
		header := http.Header{"Content-Type": {"application/json"}}
		if retryAfter != "" {
			header.Set("Retry-After", retryAfter)
		}
		c := cannedClient(t, cannedTransport{status: status, header: header, body: body})
		job, err := c.Exports.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
		if job != nil || err == nil {
			t.Fatalf("a %d gave job %v and err %v; want only an error", status, job != nil, err)
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("a %d gave %v, want an *APIError", status, err)
		}
		if apiErr.StatusCode != status || !strings.Contains(err.Error(), strconv.Itoa(status)) {
			t.Fatalf("err = %q for a %d", err, status)
		}
		if errors.Is(err, ErrServer) != (status >= 500) {
			t.Fatalf("errors.Is(%d, ErrServer) = %v", status, !(status >= 500))
		}
		if len(apiErr.Body) > MaxErrorBytes || !utf8.Valid(apiErr.Body) {
			t.Fatalf("Body has %d bytes, valid UTF-8 %v; want at most %d, valid", len(apiErr.Body), utf8.Valid(apiErr.Body), MaxErrorBytes)
		}
		if apiErr.ErrorCode != "" && apiErr.Body != nil {
			t.Fatalf("both an ErrorCode and a raw Body")
		}
		if apiErr.RetryAfter < 0 {
			t.Fatalf("Retry-After %q gave a negative wait %v", retryAfter, apiErr.RetryAfter)
		}
		// A delay is digits only (RFC 9110, 10.2.3); Atoi would also take a sign.
		delay := strings.TrimSpace(retryAfter)
		if secs, err := strconv.Atoi(delay); err == nil && secs > 0 && delay[0] != '+' {
			if want := min(time.Duration(min(secs, 1<<30))*time.Second, time.Hour); apiErr.RetryAfter < want {
				t.Fatalf("Retry-After %q gave a wait of %v, want at least %v", retryAfter, apiErr.RetryAfter, want)
			}
		}
	})
}
