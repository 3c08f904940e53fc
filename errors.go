package atlas

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors for errors.Is. An *APIError matches the sentinel of its status; argument
// checks wrap ErrInvalidArgument; the waiters wrap ErrExportFailed and ErrSnapshotFailed.
// docs/design.md ("Errors in full") says which operation returns which.
var (
	// ErrUnauthorized matches a 401: missing, wrong, expired or revoked credentials.
	ErrUnauthorized = errors.New("atlas: unauthorized")
	// ErrForbidden matches a 403: the credential lacks the role or network access.
	ErrForbidden = errors.New("atlas: forbidden")
	// ErrNotFound matches a 404: the group, cluster, snapshot, bucket or export job does not
	// exist; Snapshots.Latest also returns it when a cluster has no completed snapshot.
	ErrNotFound = errors.New("atlas: not found")
	// ErrRateLimited matches a 429 and any error whose errorCode contains RATE_LIMITED,
	// whatever its status.
	ErrRateLimited = errors.New("atlas: rate limited")
	// ErrServer matches any 5xx status.
	ErrServer = errors.New("atlas: server error")
	// ErrInvalidArgument matches an argument or option refused before any request was sent.
	ErrInvalidArgument = errors.New("atlas: invalid argument")
	// ErrExportFailed matches an export job that ended Failed or Cancelled (see
	// ExportsService.Wait).
	ErrExportFailed = errors.New("atlas: export job failed")
	// ErrSnapshotFailed matches a snapshot that ended failed (see SnapshotsService.Wait).
	ErrSnapshotFailed = errors.New("atlas: snapshot failed")
	// ErrRedirect matches a redirect that the client refused to follow: the Atlas API does not
	// redirect, and following one could carry credentials to another host.
	ErrRedirect = errors.New("atlas: redirect refused")
	// ErrInvalidResponse matches a response that is not what the API promises: a 2xx body
	// that is empty, truncated, not JSON, JSON null, of the wrong shape or larger than the API
	// ever sends, and a token endpoint's answer that holds no token.
	ErrInvalidResponse = errors.New("atlas: invalid response")
	// ErrClosed matches a call made after Client.Close: nothing was sent.
	ErrClosed = errors.New("atlas: client closed")
	// ErrBodyTooLarge matches a response whose body exceeded the client's size cap.
	ErrBodyTooLarge = errors.New("atlas: response body too large")
)

// RequestError is a call that failed after its arguments were accepted: the request it was
// and what went wrong, much as *url.Error is for net/http. Err is an *APIError for a non-2xx
// status, a *GrantError when no token could be had, the context's error when it ended, or an
// error wrapping ErrInvalidResponse, ErrBodyTooLarge or ErrRedirect. errors.Is and errors.As
// see through it. Its text never holds a credential the client has.
type RequestError struct {
	// Method and Path are the request's method and escaped URL path, without the query.
	Method, Path string
	// Err is why the call failed.
	Err error
}

// Error names the request once, then the cause, without the cause's own "atlas: ": the
// package is named once too.
func (e *RequestError) Error() string {
	return "atlas: " + e.Method + " " + e.Path + ": " + causeText(e.Err)
}

// causeText is an error's text without its "atlas: ", so that the package is named once; a
// nil error (a zero value built by a caller) reads as "unknown".
func causeText(err error) string {
	if err == nil {
		return "unknown"
	}
	return strings.TrimPrefix(err.Error(), "atlas: ")
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

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

// invalid builds an *InvalidArgumentError.
func invalid(name, reason string) error {
	return &InvalidArgumentError{Name: name, Reason: reason}
}

// GrantError is a service-account token grant that failed, so the request it was for was
// never sent. Err is the token endpoint's refusal as an *APIError (so errors.Is(err,
// ErrUnauthorized) holds for a wrong secret), an error wrapping ErrInvalidResponse for an
// answer that holds no token, or the transport's error.
type GrantError struct {
	// RetryAfter is the wait the token endpoint asked for; zero when it asked for none.
	RetryAfter time.Duration
	// Err is why the grant failed.
	Err error
}

// Error says that the grant failed, and why.
func (e *GrantError) Error() string {
	return "service account token grant: " + causeText(e.Err)
}

// Unwrap returns the cause.
func (e *GrantError) Unwrap() error { return e.Err }

// Temporary reports whether another grant may succeed without a change of credentials: the
// endpoint asked for a wait (429), failed (5xx), or could not be reached. An answer that holds
// no token, is too large or redirects is final.
func (e *GrantError) Temporary() bool {
	var apiErr *APIError
	if errors.As(e.Err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
	}
	return retryableError(e.Err, repeatable)
}

// ExportFailedError is returned by ExportsService.Wait when a job ends Failed or Cancelled.
// It matches ErrExportFailed.
type ExportFailedError struct {
	// Job is the job as last read, in its terminal state; Job.StateReason says why, as the
	// server sent it.
	Job *ExportJob
	// redact hides the credentials of the client that read Job; nil in an error a caller
	// built.
	redact func(string) string
}

// Error names the job, its state and the server's reason. The reason is the server's text,
// so it is shown with every credential the client holds replaced by [redacted], and quoted
// (strconv.Quote) when it holds a control character, so that no escape sequence or line
// break reaches a terminal or a log.
func (e *ExportFailedError) Error() string {
	if e.Job == nil {
		return ErrExportFailed.Error()
	}
	shown := func(s string) string {
		if e.redact != nil {
			s = e.redact(s)
		}
		return serverText(s)
	}
	text := "atlas: export job " + shown(e.Job.ID) + " ended " + shown(string(e.Job.State))
	if r := e.Job.StateReason; r != nil && r.ErrorCode != "" {
		text += " (" + shown(r.ErrorCode) + ")"
	}
	if r := e.Job.StateReason; r != nil && r.Message != "" {
		text += ": " + shown(r.Message)
	}
	return text
}

// serverText is a server's text fit for an error: as it is when every character is
// printable, else quoted, so that control characters (C0, DEL, C1, invalid UTF-8 and
// invisible formatting) are escaped.
func serverText(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// Unwrap returns ErrExportFailed.
func (e *ExportFailedError) Unwrap() error { return ErrExportFailed }

// SnapshotFailedError is returned by SnapshotsService.Wait when a snapshot ends failed. It
// matches ErrSnapshotFailed.
type SnapshotFailedError struct {
	// Snapshot is the snapshot as last read.
	Snapshot *Snapshot
}

// Error names the snapshot and its status, quoted if they hold a control character.
func (e *SnapshotFailedError) Error() string {
	if e.Snapshot == nil {
		return ErrSnapshotFailed.Error()
	}
	return "atlas: snapshot " + serverText(e.Snapshot.ID) + " ended " + serverText(string(e.Snapshot.Status))
}

// Unwrap returns ErrSnapshotFailed.
func (e *SnapshotFailedError) Unwrap() error { return ErrSnapshotFailed }
