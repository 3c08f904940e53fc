package atlas

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The retry policy is a pure function of an attempt's outcome: these tables start no server.
// client_test.go proves that do applies what it decides.

// Jitters a test injects in place of the random one: the least and the most it may return.
func minJitter(time.Duration) time.Duration   { return 0 }
func maxJitter(n time.Duration) time.Duration { return n - 1 }

func TestRetryPolicyWithDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		given     RetryPolicy
		want      RetryPolicy
		wantValid bool
	}{
		{"zero", RetryPolicy{}, RetryPolicy{4, 500 * time.Millisecond, 20 * time.Second}, true},
		{"retries off", RetryPolicy{MaxAttempts: 1}, RetryPolicy{1, DefaultMinBackoff, DefaultMaxBackoff}, true},
		{"all set", RetryPolicy{7, time.Second, time.Minute}, RetryPolicy{7, time.Second, time.Minute}, true},
		// Only a cap below the default minimum: the waits stay under the cap.
		{"max only, under the default min", RetryPolicy{MaxBackoff: 100 * time.Millisecond}, RetryPolicy{4, 100 * time.Millisecond, 100 * time.Millisecond}, true},
		{"max only", RetryPolicy{MaxBackoff: 2 * time.Second}, RetryPolicy{4, DefaultMinBackoff, 2 * time.Second}, true},
		// Only a minimum above the default cap: the cap rises to it.
		{"min only, over the default max", RetryPolicy{MinBackoff: 30 * time.Second}, RetryPolicy{4, 30 * time.Second, 30 * time.Second}, true},
		// Both given the wrong way round: NewClient refuses it (see options_test.go).
		{"min over max", RetryPolicy{MinBackoff: 2 * time.Second, MaxBackoff: time.Second}, RetryPolicy{4, 2 * time.Second, time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.given.withDefaults()
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantValid, got.MinBackoff <= got.MaxBackoff)
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	ms := time.Millisecond
	tests := []struct {
		policy   RetryPolicy
		attempt  int
		min, max time.Duration // what the least and the most jitter give
	}{
		{p, 1, 100 * ms, 100 * ms}, // the first wait is the minimum: no room for jitter
		{p, 2, 100 * ms, 200 * ms}, // the ceiling doubles per attempt...
		{p, 3, 100 * ms, 400 * ms},
		{p, 4, 100 * ms, 800 * ms},
		{p, 5, 100 * ms, time.Second}, // ...up to MaxBackoff
		{p, 33, 100 * ms, time.Second},
		{p, 1000, 100 * ms, time.Second}, // no shift overflows
		{RetryPolicy{MinBackoff: time.Second, MaxBackoff: time.Second}, 3, time.Second, time.Second},
		// A minimum so large that doubling it overflows: the ceiling is MaxBackoff.
		{RetryPolicy{MinBackoff: math.MaxInt64 / 2, MaxBackoff: math.MaxInt64}, 3, math.MaxInt64 / 2, math.MaxInt64},
		{RetryPolicy{MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}, 5, time.Nanosecond, time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v-%v/attempt %d", tt.policy.MinBackoff, tt.policy.MaxBackoff, tt.attempt), func(t *testing.T) {
			assert.Equal(t, tt.min, tt.policy.backoff(tt.attempt, minJitter), "least jitter")
			assert.Equal(t, tt.max, tt.policy.backoff(tt.attempt, maxJitter), "most jitter")
			// The jitter is asked for a range that covers the whole span, ceiling included.
			var asked time.Duration
			tt.policy.backoff(tt.attempt, func(n time.Duration) time.Duration { asked = n; return 0 })
			if tt.max > tt.min {
				assert.Equal(t, tt.max-tt.min+1, asked)
			} else {
				assert.Zero(t, asked, "no jitter asked for when there is no room")
			}
			// The real jitter stays within the same bounds.
			for range 50 {
				w := tt.policy.backoff(tt.attempt, randomJitter)
				assert.GreaterOrEqual(t, w, tt.min)
				assert.LessOrEqual(t, w, tt.max)
			}
		})
	}
}

// Transport errors as http.Transport returns them, one per class the policy tells apart.
var (
	errDial      = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	errDialTime  = &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}
	errReset     = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	errPipe      = &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	errClosed    = fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.EOF)
	errCut       = fmt.Errorf("reading the body: %w", io.ErrUnexpectedEOF)
	errTimeout   = &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
	errCert      = &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	errMalformed = errors.New(`net/http: HTTP/1.x transport connection broken: malformed MIME header line: x`)
)

// timeoutError is a net.Error that timed out, as a read deadline or a dial timeout gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryable(t *testing.T) {
	t.Parallel()
	grant := func(status int, retryAfter time.Duration) error {
		return &GrantError{RetryAfter: retryAfter, Err: &APIError{StatusCode: status, RetryAfter: retryAfter}}
	}
	tests := []struct {
		name                 string
		outcome              outcome
		repeatable, creating bool // whether a GET-like request, and a create, are repeated
		wait                 time.Duration
	}{
		// Refused unprocessed: even a create is repeated, honouring Retry-After.
		{"429", outcome{status: 429}, true, true, 0},
		{"429 with Retry-After", outcome{status: 429, retryAfter: 7 * time.Second}, true, true, 7 * time.Second},
		// The server may have acted: only what may be repeated is.
		{"500", outcome{status: 500}, true, false, 0},
		{"502", outcome{status: 502}, true, false, 0},
		{"503 with Retry-After", outcome{status: 503, retryAfter: 2 * time.Second}, true, false, 2 * time.Second},
		{"504", outcome{status: 504}, true, false, 0},
		// Permanent: the same request gets the same answer.
		{"400", outcome{status: 400}, false, false, 0},
		{"401", outcome{status: 401}, false, false, 0},
		{"403", outcome{status: 403}, false, false, 0},
		{"404", outcome{status: 404}, false, false, 0},
		{"409", outcome{status: 409}, false, false, 0},
		{"422 with Retry-After", outcome{status: 422, retryAfter: time.Second}, false, false, 0},
		{"501", outcome{status: 501}, false, false, 0},
		{"505", outcome{status: 505}, false, false, 0},
		{"302 (a refused redirect)", outcome{status: 302}, false, false, 0},
		{"200 with a body that failed to decode", outcome{status: 200}, false, false, 0},
		// A connection never made: the request certainly never left.
		{"dial refused", outcome{err: errDial}, true, true, 0},
		{"dial timeout", outcome{err: errDialTime}, true, true, 0},
		// The request may have been sent: a create is not repeated.
		{"connection reset", outcome{err: errReset}, true, false, 0},
		{"broken pipe", outcome{err: errPipe}, true, false, 0},
		{"connection closed", outcome{err: errClosed}, true, false, 0},
		{"body cut short", outcome{err: errCut}, true, false, 0},
		{"read timeout", outcome{err: errTimeout}, true, false, 0},
		// Trying again cannot help.
		{"certificate", outcome{err: errCert}, false, false, 0},
		{"malformed response", outcome{err: errMalformed}, false, false, 0},
		{"invalid response", outcome{err: fmt.Errorf("%w: empty body", ErrInvalidResponse)}, false, false, 0},
		{"redirect", outcome{err: fmt.Errorf("%w: to x", ErrRedirect)}, false, false, 0},
		// A failed grant means the request never left: the grant's own nature decides.
		{"grant 429", outcome{err: grant(429, 5*time.Second)}, true, true, 5 * time.Second},
		{"grant 503", outcome{err: grant(503, 0)}, true, true, 0},
		{"grant 401", outcome{err: grant(401, 0)}, false, false, 0},
		{"grant 400", outcome{err: grant(400, 0)}, false, false, 0},
		{"grant unreachable", outcome{err: &GrantError{Err: errDial}}, true, true, 0},
		{"grant connection lost", outcome{err: &GrantError{Err: errReset}}, true, true, 0},
		{"grant without a token", outcome{err: &GrantError{Err: fmt.Errorf("%w: no token", ErrInvalidResponse)}}, false, false, 0},
		{"grant redirected", outcome{err: &GrantError{Err: fmt.Errorf("%w: to x", ErrRedirect)}}, false, false, 0},
		{"grant wrapped", outcome{err: fmt.Errorf("token: %w", grant(429, time.Second))}, true, true, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for mode, want := range map[repeatability]bool{repeatable: tt.repeatable, createOnce: tt.creating} {
				wait, again := retryable(tt.outcome, mode)
				assert.Equal(t, want, again, "mode %d", mode)
				if again {
					assert.Equal(t, tt.wait, wait, "mode %d", mode)
				}
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 3, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	noDeadline := time.Duration(-1)
	tests := []struct {
		name      string
		attempt   int
		mode      repeatability
		timeLeft  time.Duration
		outcome   outcome
		jitter    func(time.Duration) time.Duration
		wantWait  time.Duration
		wantAgain bool
	}{
		{"first retry waits the minimum", 1, repeatable, noDeadline, outcome{status: 503}, maxJitter, 100 * time.Millisecond, true},
		{"second retry, most jitter", 2, repeatable, noDeadline, outcome{status: 503}, maxJitter, 200 * time.Millisecond, true},
		{"second retry, least jitter", 2, repeatable, noDeadline, outcome{status: 503}, minJitter, 100 * time.Millisecond, true},
		{"attempts spent", 3, repeatable, noDeadline, outcome{status: 503}, minJitter, 0, false},
		{"not retryable", 1, repeatable, noDeadline, outcome{status: 404}, minJitter, 0, false},
		{"create after a 5xx", 1, createOnce, noDeadline, outcome{status: 503}, minJitter, 0, false},
		{"create after a 429", 1, createOnce, noDeadline, outcome{status: 429, retryAfter: 2 * time.Second}, minJitter, 2 * time.Second, true},
		{"create after a dial failure", 2, createOnce, noDeadline, outcome{err: errDial}, maxJitter, 200 * time.Millisecond, true},
		// Retry-After is a floor on the wait, never a ceiling.
		{"Retry-After over the backoff", 1, repeatable, noDeadline, outcome{status: 429, retryAfter: 3 * time.Second}, maxJitter, 3 * time.Second, true},
		{"Retry-After under the backoff", 2, repeatable, noDeadline, outcome{status: 429, retryAfter: time.Millisecond}, maxJitter, 200 * time.Millisecond, true},
		{"Retry-After of a minute is waited for", 1, repeatable, noDeadline, outcome{status: 429, retryAfter: time.Minute}, minJitter, time.Minute, true},
		// More than a minute, or forever: the caller gets the answer now.
		{"Retry-After over a minute", 1, repeatable, noDeadline, outcome{status: 429, retryAfter: time.Minute + time.Second}, minJitter, 0, false},
		{"Retry-After saturated", 1, createOnce, noDeadline, outcome{status: 429, retryAfter: math.MaxInt64}, minJitter, 0, false},
		// A wait that would pass the deadline is not started.
		{"deadline before the wait ends", 1, repeatable, 50 * time.Millisecond, outcome{status: 503}, minJitter, 0, false},
		{"deadline before Retry-After", 1, repeatable, 10 * time.Second, outcome{status: 503, retryAfter: 30 * time.Second}, minJitter, 0, false},
		{"deadline passed", 1, repeatable, 0, outcome{status: 503}, minJitter, 0, false},
		{"deadline just at the wait's end", 1, repeatable, 100 * time.Millisecond, outcome{status: 503}, minJitter, 100 * time.Millisecond, true},
		{"deadline after the wait", 1, repeatable, time.Hour, outcome{status: 503}, minJitter, 100 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, again := p.decide(attemptState{attempt: tt.attempt, mode: tt.mode, timeLeft: tt.timeLeft}, tt.outcome, tt.jitter)
			assert.Equal(t, tt.wantAgain, again)
			assert.Equal(t, tt.wantWait, wait)
		})
	}
	t.Run("MaxAttempts 1 turns retries off", func(t *testing.T) {
		_, again := RetryPolicy{MaxAttempts: 1}.withDefaults().decide(attemptState{attempt: 1, timeLeft: noDeadline}, outcome{status: 503}, minJitter)
		assert.False(t, again)
	})
}

func TestTimeLeft(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Duration(-1), timeLeft(t.Context()), "no deadline")
	past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	assert.Zero(t, timeLeft(past), "a deadline passed is no time left, never negative")
	later, cancel2 := context.WithTimeout(t.Context(), time.Hour)
	defer cancel2()
	left := timeLeft(later)
	assert.Greater(t, left, 59*time.Minute)
	assert.LessOrEqual(t, left, time.Hour)
}

func TestSleepContext(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, sleepContext(cancelled, time.Hour), context.Canceled, "ends with the context")
	assert.ErrorIs(t, sleepContext(cancelled, 0), context.Canceled)
	assert.NoError(t, sleepContext(t.Context(), 0))
	assert.NoError(t, sleepContext(t.Context(), -time.Second))
	assert.NoError(t, sleepContext(t.Context(), time.Microsecond))
}

func TestRetryableStatusesAreTheOnesDocumented(t *testing.T) {
	t.Parallel()
	// RetryPolicy's doc comment lists 429, 500, 502, 503 and 504; no other status in the
	// registry's range is retried.
	var retried []int
	for status := 100; status <= 599; status++ {
		if _, ok := retryable(outcome{status: status}, repeatable); ok {
			retried = append(retried, status)
		}
	}
	require.Equal(t, []int{429, 500, 502, 503, 504}, retried)
}

// TestRetriedSaysHowManyAttempts: the error of a call that was retried says so, and still
// matches what the last attempt's error matches.
func TestRetriedSaysHowManyAttempts(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	assert.Same(t, error(refused), retried(refused, 1), "one attempt: unchanged")
	assert.Nil(t, retried(nil, 3))
	err := retried(refused, 4)
	assert.True(t, strings.HasPrefix(err.Error(), "after 4 attempts: "), err.Error())
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr)
}
