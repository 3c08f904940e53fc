package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
			_ = morePages(page, 2, 1, len(page.Results))
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

// recordingTransport answers every request with a 204 and keeps the URL it was sent to.
type recordingTransport struct{ sent *url.URL }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.sent = req.URL
	return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

func FuzzRequestPath(f *testing.F) {
	for _, seed := range []string{
		"/api/atlas/v2/groups", "/api/%2e%2e/%2e%2e/admin", "/api/../admin", "/api/a%2fb", "/api/.%2E/x",
		"//evil.example.com/api/", "/api/%zz", "/api/x?y#z", "/api/..\\admin", "/api/%2e%2ex/a%3Ab",
	} {
		f.Add(seed)
	}
	// What Do may say of a refused path: the texts of its refusals, none of which repeats it.
	var refusals strings.Builder
	for _, p := range []string{"", "x", "/api/..", "/api/%zz", "/api/%2f"} {
		refusals.WriteString(checkRequestPath(p).Error())
	}
	f.Fuzz(func(t *testing.T, p string) {
		rt := &recordingTransport{}
		c, err := NewClient(WithBaseURL("https://atlas.invalid"), WithAccessToken("fuzz-token"),
			WithHTTPClient(&http.Client{Transport: rt}), WithRetry(RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Do(context.Background(), &Request{Method: http.MethodGet, Path: p, Version: "2023-01-01"}, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) || rt.sent != nil {
				t.Fatalf("path %q: err %v, sent %v; want a refusal before sending", p, err, rt.sent)
			}
			if strings.Contains(err.Error(), p) && !strings.Contains(refusals.String(), p) {
				t.Fatalf("the refusal of %q repeats it: %v", p, err)
			}
			return
		}
		// Accepted: sent to the base URL's host, under /api/, with no dot segment, no
		// backslash and no escaped slash once decoded (net/url decodes Path).
		sent := rt.sent
		if sent == nil || sent.Host != "atlas.invalid" || !strings.HasPrefix(sent.Path, "/api/") {
			t.Fatalf("path %q was sent to %v", p, sent)
		}
		for _, seg := range strings.Split(sent.Path, "/") {
			if seg == "." || seg == ".." || strings.Contains(seg, "\\") {
				t.Fatalf("path %q was sent as %q, which leaves /api/ once resolved", p, sent.Path)
			}
		}
		if strings.Count(sent.Path, "/") != strings.Count(sent.EscapedPath(), "/") {
			t.Fatalf("path %q was sent as %q: an escaped slash", p, sent.EscapedPath())
		}
	})
}

// baseURLCanary is put in the user info, query or fragment of a fuzzed base URL.
const baseURLCanary = "c4n4ry5ecret"

func FuzzBaseURL(f *testing.F) {
	for _, seed := range []string{
		"https://cloud.mongodb.com", "http://127.0.0.1:8080/prefix", "https://host/api", "ftp://host",
		"http://example.com", "https:///p", "https://h:443/a%2Fb", "://x",
	} {
		for where := range uint8(6) {
			f.Add(seed, where)
		}
	}
	f.Fuzz(func(t *testing.T, raw string, where uint8) {
		if strings.Contains(raw, baseURLCanary) {
			return
		}
		// Put the canary where a credential could hide: user info (as a user, or a password),
		// the query or the fragment; or nowhere, to fuzz the URL as it is.
		switch where % 6 {
		case 1:
			raw = strings.Replace(raw, "://", "://"+baseURLCanary+"@", 1)
		case 2:
			raw = strings.Replace(raw, "://", "://user:"+baseURLCanary+"@", 1)
		case 3:
			raw += "?apikey=" + baseURLCanary
		case 4:
			raw += "#" + baseURLCanary
		case 5:
			raw = strings.Replace(raw, "://", "://"+baseURLCanary+":@", 1)
		}
		c, err := NewClient(WithBaseURL(raw), WithAccessToken("fuzz-token"))
		var texts []string
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) || c != nil {
				t.Fatalf("base URL %q: client %v, err %v; want only an ErrInvalidArgument", raw, c != nil, err)
			}
			texts = []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		} else {
			texts = []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)}
		}
		// The canary may show only where it is part of the scheme, host or path.
		u, perr := url.Parse(raw)
		if perr == nil && strings.Contains(u.Scheme+"://"+u.Host+u.Path+u.EscapedPath(), baseURLCanary) {
			return
		}
		for _, text := range texts {
			if strings.Contains(text, baseURLCanary) {
				t.Fatalf("base URL %q: the user info, query or fragment shows in %q", raw, text)
			}
		}
	})
}
