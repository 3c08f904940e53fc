package atlas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// request is one API call as a service method builds it: everything do needs to send it and
// read the answer.
type request struct {
	method  string
	path    string // escaped, starting with /api/
	query   url.Values
	version string // the operation's media type, for Accept and the body's Content-Type
	body    []byte // JSON; nil for none
	mode    repeatability
	shape   shapeLimits // what a 2xx body may hold
}

// get, post, patch and del build the request of an operation on path.
func get(path, version string) *request {
	return &request{method: http.MethodGet, path: path, version: version}
}

func del(path, version string) *request {
	return &request{method: http.MethodDelete, path: path, version: version}
}

func post(path, version string, body any) (*request, error) {
	return withBody(&request{method: http.MethodPost, path: path, version: version, mode: createOnce}, body)
}

func patch(path, version string, body any) (*request, error) {
	return withBody(&request{method: http.MethodPatch, path: path, version: version}, body)
}

func withBody(r *request, body any) (*request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("atlas: encoding the request body: %w", err)
	}
	r.body = b
	return r, nil
}

// doJSON runs r and returns the decoded document.
func doJSON[T any](ctx context.Context, c *Client, r *request) (*T, error) {
	out := new(T)
	if err := c.do(ctx, r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// sameID checks that a document read by id is the one asked for: a server, or something
// between, that answers with another is not answering the question.
func sameID[T any](c *Client, r *request, what, want, got string, v *T) (*T, error) {
	if got != want {
		return nil, c.fail(r, fmt.Errorf("%w: asked for %s %s, got %q", ErrInvalidResponse, what, want, got), "")
	}
	return v, nil
}

// Request is a call to any operation of the Atlas Administration API, for what the services
// do not cover. Client.Do sends it with the client's auth, retries, rate limit and typed
// errors, as the services send theirs.
type Request struct {
	// Method is the HTTP method, such as "GET".
	Method string
	// Path is the escaped URL path below the base URL, starting with /api/, such as
	// "/api/atlas/v2/groups/" + url.PathEscape(groupID) + "/clusters". No query: use Query.
	Path string
	// Query holds the query parameters; nil for none.
	Query url.Values
	// Version is the operation's resource version, a date such as "2023-01-01" (the API's
	// documentation names it per operation); it is sent as
	// application/vnd.atlas.<Version>+json.
	Version string
	// Body is encoded as JSON and sent when not nil.
	Body any
}

// Do sends req and decodes a 2xx JSON answer into out, which may be nil to discard it.
//
// GET, HEAD, PUT, PATCH and DELETE are retried as the services' reads are; POST only when
// the server certainly did not act on it (see RetryPolicy). The errors are those of the
// services: ErrInvalidArgument for a request refused before sending, a *RequestError
// otherwise.
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	r, err := req.build()
	if err != nil {
		return err
	}
	return c.do(ctx, r, out)
}

// build checks req and turns it into a request.
func (req *Request) build() (*request, error) {
	if req == nil {
		return nil, invalid("req", "is nil")
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost:
	default:
		return nil, invalid("Request.Method", "must be GET, HEAD, PUT, PATCH, DELETE or POST")
	}
	if err := checkRequestPath(req.Path); err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, req.Version); err != nil {
		return nil, invalid("Request.Version", "must be a resource version date such as 2023-01-01")
	}
	r := &request{method: req.Method, path: req.Path, query: req.Query, version: "application/vnd.atlas." + req.Version + "+json"}
	if req.Method == http.MethodPost {
		r.mode = createOnce
	}
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, invalid("Request.Body", "cannot be encoded as JSON: "+err.Error())
		}
		r.body = b
	}
	return r, nil
}
