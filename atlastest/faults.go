package atlastest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault describes how the server misbehaves for the next requests, for testing a client's
// retries, timeouts and error handling. Faults apply before authentication, as a load balancer
// or an overloaded front end would, and the faulted requests still count in Requests.
//
// Delay, Status and Drop combine: the server waits Delay (real time, ending early when the
// request's context ends or the server closes), then drops the connection if Drop is set,
// else answers Status if it is set, else serves the request normally.
type Fault struct {
	// Route limits the fault to one route (a Route constant); empty matches every route.
	Route string
	// Times is how many matching requests the fault applies to; zero means one.
	Times int
	// Delay holds the answer back this long.
	Delay time.Duration
	// Status is the HTTP status to answer with instead of serving the request.
	Status int
	// ErrorCode is the errorCode of the ApiError body sent with Status. Empty picks the code
	// Atlas uses for that status (RATE_LIMITED for 429, UNEXPECTED_ERROR for 500, ...).
	ErrorCode string
	// Body, when not nil, is sent as is instead of an ApiError body; set its Content-Type in
	// Header (the default is application/json).
	Body []byte
	// Header holds extra response headers.
	Header http.Header
	// RetryAfter, when positive, is sent as the Retry-After header in whole seconds, rounded up.
	// Zero sends none, so the retries of a client from Server.Client take milliseconds; a
	// client with the SDK's default retry policy waits at least half a second (and any
	// Retry-After, at least a second) before each retry.
	RetryAfter time.Duration
	// Drop closes the connection without answering. Note that Go's http.Transport may retry an
	// idempotent request transparently when a reused connection is dropped: Requests shows it.
	Drop bool
}

// pendingFault is an injected fault and how many more requests it applies to.
type pendingFault struct {
	Fault
	left int
}

// InjectFault queues f. Faults apply in the order they were injected: each request takes the
// first queued fault whose Route matches it, until that fault is used up.
func (s *Server) InjectFault(f Fault) {
	left := f.Times
	if left <= 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: left})
}

// ClearFaults discards every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns how many requests queued faults will still affect.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.left
	}
	return n
}

// takeFault returns the fault the next request on route gets, if any. Callers hold s.mu.
func (s *Server) takeFault(route string) *Fault {
	for i, f := range s.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		f.left--
		if f.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		fc := f.Fault
		return &fc
	}
	return nil
}

// applyFault carries out f and reports whether it answered (or abandoned) the request.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			// The client gave up or the server is closing. Abort rather than return, or
			// net/http would send an empty 200 on a connection that is still open.
			panic(http.ErrAbortHandler)
		case <-t.C:
		}
	}
	if f.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
		// The connection cannot be hijacked (HTTP/2): aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return false
	}
	h := w.Header()
	for k, vs := range f.Header {
		h[k] = append([]string(nil), vs...)
	}
	if f.RetryAfter > 0 {
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	if f.Body != nil {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", mediaTypeJSON)
		}
		h.Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(f.Status)
		_, _ = w.Write(f.Body)
		return true
	}
	code := f.ErrorCode
	if code == "" {
		code = defaultErrorCode(f.Status)
	}
	writeAPIError(w, r, f.Status, code, "Injected fault.")
	return true
}

// defaultErrorCode is the errorCode Atlas sends with a status, or one derived from the
// status text (SERVICE_UNAVAILABLE, BAD_GATEWAY) where no specific code is known.
func defaultErrorCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusInternalServerError:
		return "UNEXPECTED_ERROR"
	case http.StatusNotFound:
		return "RESOURCE_NOT_FOUND"
	case http.StatusBadRequest:
		return "VALIDATION_ERROR"
	}
	text := http.StatusText(status)
	if text == "" {
		return "UNEXPECTED_ERROR"
	}
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(text))
}
