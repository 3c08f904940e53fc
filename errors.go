package atlas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors for errors.Is. An *APIError matches the sentinel of its status; argument
// checks wrap ErrInvalidArgument; Wait wraps ErrExportFailed.
var (
	// ErrUnauthorized matches a 401: missing, wrong, expired or revoked credentials.
	ErrUnauthorized = errors.New("atlas: unauthorized")
	// ErrForbidden matches a 403: the credential lacks the role or network access.
	ErrForbidden = errors.New("atlas: forbidden")
	// ErrNotFound matches a 404: the group, cluster or export job does not exist.
	ErrNotFound = errors.New("atlas: not found")
	// ErrRateLimited matches a 429 and any error whose errorCode contains RATE_LIMITED,
	// whatever its status.
	ErrRateLimited = errors.New("atlas: rate limited")
	// ErrServer matches any 5xx status.
	ErrServer = errors.New("atlas: server error")
	// ErrInvalidArgument matches an argument or option refused before any request was sent.
	ErrInvalidArgument = errors.New("atlas: invalid argument")
	// ErrExportFailed matches an export job that ended Failed or Cancelled (see Wait).
	ErrExportFailed = errors.New("atlas: export job failed")
	// ErrRedirect matches a redirect that the client refused to follow: the Atlas API does not
	// redirect, and following one could carry credentials to another host.
	ErrRedirect = errors.New("atlas: redirect refused")
	// ErrInvalidResponse matches a 2xx response whose body is not the document the API
	// promises: empty, truncated, not JSON, JSON null, or JSON of the wrong shape.
	ErrInvalidResponse = errors.New("atlas: invalid response")
	// ErrBodyTooLarge matches a response whose body exceeded the client's size cap.
	ErrBodyTooLarge = errors.New("atlas: response body too large")
)

// APIError is a response with a non-2xx status. When the body was an Atlas ApiError document
// its fields are decoded; otherwise Body holds the start of the raw body (an HTML page from a
// proxy, say) and the ApiError fields are empty.
//
// Match it with errors.As, or test its kind with errors.Is and the sentinels: ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Method and Path are the request's method and URL path.
	Method, Path string
	// ErrorCode is Atlas' application error code, such as RESOURCE_NOT_FOUND.
	ErrorCode string
	// Reason is Atlas' short description of the status.
	Reason string
	// Detail describes the specific conditions of this error.
	Detail string
	// Parameters are the values Atlas gives to explain the error.
	Parameters []any
	// BadRequestDetail lists the request fields a 400 refused.
	BadRequestDetail BadRequestDetail
	// Body is the raw body, at most MaxErrorBytes bytes, kept only when it was not an ApiError
	// document.
	Body []byte
	// RetryAfter is the wait the server asked for in Retry-After; zero when absent.
	RetryAfter time.Duration
	// RateLimit holds the RateLimit-Limit and RateLimit-Remaining headers; nil when absent.
	RateLimit *RateLimit
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

// Error names the request, the status and the errorCode. It never includes credentials: the
// request's headers are not part of an APIError.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("atlas: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.ErrorCode != "" {
		b.WriteString(" (")
		b.WriteString(e.ErrorCode)
		b.WriteByte(')')
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for _, f := range e.BadRequestDetail.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Description)
	}
	return b.String()
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

// InvalidArgumentError is an argument refused before any request was sent. It matches
// ErrInvalidArgument.
type InvalidArgumentError struct {
	// Name is the parameter or field, such as "groupID".
	Name string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the parameter and the reason.
func (e *InvalidArgumentError) Error() string {
	return "atlas: invalid " + e.Name + ": " + e.Reason
}

// Unwrap returns ErrInvalidArgument.
func (e *InvalidArgumentError) Unwrap() error { return ErrInvalidArgument }

// ExportFailedError is returned by Wait when a job ends Failed or Cancelled. It matches
// ErrExportFailed.
type ExportFailedError struct {
	// Job is the job as last read, in its terminal state.
	Job *ExportJob
}

// Error names the job, its state and the server's reason.
func (e *ExportFailedError) Error() string {
	msg := "atlas: export job " + e.Job.ID + " ended " + string(e.Job.State)
	if r := e.Job.StateReason; r != nil {
		if r.ErrorCode != "" {
			msg += " (" + r.ErrorCode + ")"
		}
		if r.Message != "" {
			msg += ": " + r.Message
		}
	}
	return msg
}

// Unwrap returns ErrExportFailed.
func (e *ExportFailedError) Unwrap() error { return ErrExportFailed }

// StateReason returns the server's reason for the failure, or nil when it gave none.
func (e *ExportFailedError) StateReason() *StateReason { return e.Job.StateReason }

// apiErrorBody is the wire form of the API's ApiError schema.
type apiErrorBody struct {
	Detail           string           `json:"detail"`
	Error            *int             `json:"error"`
	ErrorCode        string           `json:"errorCode"`
	Parameters       []any            `json:"parameters"`
	Reason           string           `json:"reason"`
	BadRequestDetail BadRequestDetail `json:"badRequestDetail"`
}

// newAPIError reads at most limit bytes of a non-2xx response and turns it into an *APIError.
// The caller closes the body.
func newAPIError(resp *http.Response, limit int64) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.Path = resp.Request.URL.Path
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	e.RateLimit = parseRateLimit(resp.Header)

	body, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	var doc apiErrorBody
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil && doc.ErrorCode != "" {
		e.ErrorCode = doc.ErrorCode
		e.Reason = doc.Reason
		e.Detail = doc.Detail
		e.Parameters = doc.Parameters
		e.BadRequestDetail = doc.BadRequestDetail
		return e
	}
	e.Body = sanitizeBody(body, int(limit))
	return e
}

// redact replaces every secret in the text an APIError took from a server with
// "[redacted]". A server that echoes a credential it was sent (a token endpoint repeating the
// client secret, an API quoting the Authorization header) must not put it into error
// strings, logs, or the fields a caller prints. Empty secrets are ignored.
func (e *APIError) redact(secrets ...string) {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	if len(pairs) == 0 {
		return
	}
	r := strings.NewReplacer(pairs...)
	e.ErrorCode, e.Reason, e.Detail = r.Replace(e.ErrorCode), r.Replace(e.Reason), r.Replace(e.Detail)
	for i := range e.BadRequestDetail.Fields {
		f := &e.BadRequestDetail.Fields[i]
		f.Field, f.Description = r.Replace(f.Field), r.Replace(f.Description)
	}
	for i, p := range e.Parameters {
		e.Parameters[i] = redactJSON(r, p)
	}
	if e.Body != nil {
		e.Body = sanitizeBody([]byte(r.Replace(string(e.Body))), MaxErrorBytes)
	}
}

// redactJSON applies r to every string, key included, of a value decoded from JSON.
func redactJSON(r *strings.Replacer, v any) any {
	switch v := v.(type) {
	case string:
		return r.Replace(v)
	case []any:
		for i := range v {
			v[i] = redactJSON(r, v[i])
		}
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[r.Replace(k)] = redactJSON(r, x)
		}
		return m
	}
	return v
}

// sanitizeBody keeps a raw body printable and within limit bytes: valid UTF-8, trimmed, nil
// when empty. Replacing invalid bytes with U+FFFD (three bytes each) can grow the body past
// the limit, so it is cut again, at a rune boundary.
func sanitizeBody(b []byte, limit int) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	if len(b) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut]
	}
	return bytes.Clone(b)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date; zero when absent
// or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if secs <= 0 {
			return 0
		}
		// Multiplying a huge value would wrap around to a short or negative wait.
		return time.Duration(min(int64(secs), math.MaxInt64/int64(time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
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
