package atlas

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is a response with a non-2xx status. When the body was an Atlas ApiError document
// its fields are decoded; otherwise Body holds the start of the raw body (an HTML page from a
// proxy, say) and the ApiError fields are empty. A call returns it inside a *RequestError.
//
// Match it with errors.As, or test its kind with errors.Is and the sentinels: ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer. Every text it took from the server has
// the client's credentials replaced by [redacted].
//
// Its json tags are the ApiError schema's, so json.Marshal of an APIError gives the document
// the server sent.
type APIError struct {
	// StatusCode is the HTTP status of the response (the document's "error").
	StatusCode int `json:"error"`
	// Method and Path are the request's method and URL path.
	Method string `json:"-"`
	Path   string `json:"-"`
	// ErrorCode is Atlas' application error code, such as RESOURCE_NOT_FOUND.
	ErrorCode string `json:"errorCode"`
	// Reason is Atlas' short description of the status.
	Reason string `json:"reason,omitempty"`
	// Detail describes the specific conditions of this error.
	Detail string `json:"detail,omitempty"`
	// Parameters are the values Atlas gives to explain the error.
	Parameters []any `json:"parameters,omitempty"`
	// BadRequestDetail lists the request fields a 400 refused.
	BadRequestDetail BadRequestDetail `json:"badRequestDetail,omitzero"`
	// Body is the raw body, at most MaxErrorBytes bytes, kept only when it was not an ApiError
	// document.
	Body []byte `json:"-"`
	// RetryAfter is the wait the server asked for in Retry-After; zero when absent.
	RetryAfter time.Duration `json:"-"`
	// RateLimit holds the RateLimit-Limit and RateLimit-Remaining headers; nil when absent.
	RateLimit *RateLimit `json:"-"`
	// Hint says what to check, for a 401 or a 403 that a call returned: the credentials of
	// the auth mode in use, or the role the operation needs. It is the client's advice, not
	// the server's, and never holds a credential. Error appends it.
	Hint string `json:"-"`
}

// BadRequestDetail lists the violations of a refused request body.
type BadRequestDetail struct {
	// Fields holds one entry per violation.
	Fields []FieldViolation `json:"fields,omitempty"`
}

// FieldViolation names one field of a request and why it was refused.
type FieldViolation struct {
	// Description says why the field was refused.
	Description string `json:"description"`
	// Field is the path to the field in the request body.
	Field string `json:"field"`
}

// RateLimit is the rate-limit state a response reported in its RateLimit-* headers.
type RateLimit struct {
	// Limit is the maximum number of requests in the current window.
	Limit int
	// Remaining is the number of requests left in the current window.
	Remaining int
}

// Error names the status, the errorCode, the detail and the hint. The request is named by the
// *RequestError around it.
func (e *APIError) Error() string {
	text := strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		text += " " + t
	}
	if e.ErrorCode != "" {
		text += " (" + e.ErrorCode + ")"
	}
	if e.Detail != "" {
		text += ": " + e.Detail
	}
	for _, f := range e.BadRequestDetail.Fields {
		text += "; " + f.Field + ": " + f.Description
	}
	if e.Hint != "" {
		if !strings.HasSuffix(text, ".") {
			text += "."
		}
		text += " " + e.Hint
	}
	return text
}

// Is reports whether target is the sentinel for this error's status or errorCode.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || strings.Contains(e.ErrorCode, "RATE_LIMITED")
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// newAPIError turns a non-2xx response and the start of its body (at most MaxErrorBytes)
// into an *APIError, with every text taken from the server passed through redact.
func newAPIError(resp *http.Response, body []byte, redact func(string) string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.Path = resp.Request.URL.EscapedPath()
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	e.RateLimit = parseRateLimit(resp.Header)

	// An ApiError document names its status and an errorCode; anything else is kept raw.
	var doc APIError
	if json.Unmarshal(body, &doc) == nil && doc.StatusCode != 0 && doc.ErrorCode != "" {
		e.ErrorCode = redact(doc.ErrorCode)
		e.Reason = redact(doc.Reason)
		e.Detail = redact(doc.Detail)
		e.Parameters, _ = redactJSON(redact, doc.Parameters).([]any)
		e.BadRequestDetail = doc.BadRequestDetail
		for i := range e.BadRequestDetail.Fields {
			f := &e.BadRequestDetail.Fields[i]
			f.Field, f.Description = redact(f.Field), redact(f.Description)
		}
		return e
	}
	e.Body = sanitizeBody([]byte(redact(string(body))), MaxErrorBytes)
	return e
}

// redactJSON applies redact to every string, key included, of a value decoded from JSON.
func redactJSON(redact func(string) string, v any) any {
	switch v := v.(type) {
	case string:
		return redact(v)
	case []any:
		for i := range v {
			v[i] = redactJSON(redact, v[i])
		}
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[redact(k)] = redactJSON(redact, x)
		}
		return m
	}
	return v
}

// sanitizeBody keeps a raw body printable and within limit bytes: valid UTF-8, trimmed, nil
// when empty, never aliasing b (bytes.ToValidUTF8 copies). Replacing invalid bytes with U+FFFD
// (three bytes each) can grow the body past the limit, so it is cut after, and a rune the cut
// splits is dropped.
func sanitizeBody(b []byte, limit int) []byte {
	b = bytes.ToValidUTF8(bytes.TrimSpace(b), []byte("\uFFFD"))
	if len(b) > limit {
		b = bytes.ToValidUTF8(b[:limit], nil)
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date; zero when absent
// or unreadable. delay-seconds is digits only (RFC 9110, 10.2.3), as ParseUint wants them. A
// number of seconds too large for a Duration, even too large for an int64, saturates to the
// longest Duration: a server that asks for forever is not asking for nothing.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	switch secs, err := strconv.ParseUint(v, 10, 64); {
	case err == nil && secs <= math.MaxInt64/uint64(time.Second):
		return time.Duration(secs) * time.Second
	case err == nil || errors.Is(err, strconv.ErrRange):
		return math.MaxInt64
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// parseRateLimit reads the RateLimit-Limit and RateLimit-Remaining headers; nil when either
// is missing or unreadable.
func parseRateLimit(h http.Header) *RateLimit {
	limit, err1 := strconv.Atoi(h.Get("RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("RateLimit-Remaining"))
	if err1 != nil || err2 != nil {
		return nil
	}
	return &RateLimit{Limit: limit, Remaining: remaining}
}
