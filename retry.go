package atlas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// RetryPolicy says how often and how long a client retries. Zero fields take the defaults:
// 4 attempts, backoff from 500ms to 20s.
//
// What is retried depends on whether a request may be repeated; see docs/design.md ("Retries
// and rate limits").
// In short: reads, updates and deletes after a 429, 500, 502, 503 or 504 or a lost
// connection; creates only when the server certainly did not act on them (a 429, a connection
// never made, a token grant that failed before the request). Waits grow exponentially with
// full jitter between MinBackoff and MaxBackoff; a Retry-After header is a floor on the wait.
// A Retry-After longer than a minute, or a wait that would pass the context's deadline, ends
// the retries at once with the server's answer.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included; 1 turns retries off.
	MaxAttempts int
	// MinBackoff is the shortest wait between attempts.
	MinBackoff time.Duration
	// MaxBackoff is the longest wait between attempts, unless Retry-After asks for more.
	MaxBackoff time.Duration
}

// Retry defaults, used for zero RetryPolicy fields.
const (
	DefaultMaxAttempts = 4
	DefaultMinBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff  = 20 * time.Second
)

// maxRetryAfter is the longest Retry-After the client waits for. A server asking for more is
// answered with its own error at once, RetryAfter set, so the caller can decide.
const maxRetryAfter = time.Minute

// withDefaults fills zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.MinBackoff == 0 {
		p.MinBackoff = DefaultMinBackoff
		if p.MaxBackoff > 0 {
			// A caller who capped the waits below the default minimum asked for short waits.
			p.MinBackoff = min(p.MinBackoff, p.MaxBackoff)
		}
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(DefaultMaxBackoff, p.MinBackoff)
	}
	return p
}

// repeatability says when a request may be sent again.
type repeatability int

const (
	// repeatable requests (GET, PATCH, DELETE) leave the same state however often they arrive.
	repeatable repeatability = iota
	// createOnce requests (a POST that creates) are repeated only when the server certainly
	// did not act on them: a duplicate export costs money.
	createOnce
)

// outcome is what one failed attempt came to, as the retry policy sees it: a status, or the
// error that came instead of a response.
type outcome struct {
	status     int           // the response's status; 0 when none arrived
	err        error         // why no response arrived
	retryAfter time.Duration // the server's Retry-After; zero when absent
}

// attemptState is everything besides the outcome that the policy weighs.
type attemptState struct {
	attempt  int           // attempts made so far, from 1
	mode     repeatability // whether the request may be repeated
	timeLeft time.Duration // until the context's deadline; negative when it has none
}

// decide is the retry policy: after a failed attempt it says whether to try again and after
// how long. jitter(n) returns a random duration in [0, n); tests pass a fixed one.
func (p RetryPolicy) decide(s attemptState, o outcome, jitter func(n time.Duration) time.Duration) (time.Duration, bool) {
	retryAfter, ok := retryable(o, s.mode)
	if !ok || s.attempt >= p.MaxAttempts || retryAfter > maxRetryAfter {
		return 0, false
	}
	wait := max(p.backoff(s.attempt, jitter), retryAfter)
	if s.timeLeft >= 0 && s.timeLeft < wait {
		// The caller gets the server's answer now rather than a deadline error later.
		return 0, false
	}
	return wait, true
}

// backoff is the wait before attempt+1 without Retry-After: a random duration between
// MinBackoff and a ceiling that doubles per attempt up to MaxBackoff ("full jitter").
func (p RetryPolicy) backoff(attempt int, jitter func(n time.Duration) time.Duration) time.Duration {
	lo, hi := p.MinBackoff, p.MaxBackoff
	ceiling := hi
	if shift := attempt - 1; shift < 32 && lo<<shift > 0 && lo<<shift < hi {
		ceiling = lo << shift
	}
	if ceiling <= lo {
		return lo
	}
	return lo + jitter(ceiling-lo+1)
}

// randomJitter is the jitter of real clients.
func randomJitter(n time.Duration) time.Duration { return rand.N(n) }

// retryable says whether an outcome is worth another attempt for a request of this mode, and
// the least wait the other side asked for.
func retryable(o outcome, mode repeatability) (time.Duration, bool) {
	if o.err != nil {
		var grant *GrantError
		if errors.As(o.err, &grant) {
			// The request itself never left: only the grant's own nature counts.
			return grant.RetryAfter, grant.Temporary()
		}
		return 0, retryableError(o.err, mode)
	}
	switch o.status {
	case http.StatusTooManyRequests:
		// Refused unprocessed, so even a create may be repeated.
		return o.retryAfter, true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return o.retryAfter, mode == repeatable
	}
	return 0, false
}

// retryableError says whether a transport error is worth another attempt. A create is
// retried only when it certainly never left: the connection was never made. Errors not named
// here, a refused certificate say, are final.
func retryableError(err error, mode repeatability) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	if mode != repeatable {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// timeLeft is how long ctx has until its deadline, or -1 when it has none.
func timeLeft(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	return max(time.Until(deadline), 0)
}

// sleepContext waits d or until ctx ends, whichever is first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-time.After(d): // since Go 1.23 an unfired timer is collected without Stop
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retried is err, the outcome of the last of n attempts, with a text that says the call was
// retried ("after 4 attempts: dial tcp ...: connection refused"), so that a caller who waited
// seconds for a refused connection knows why. The error of a single attempt is left as is.
// errors.Is and errors.As see through it.
func retried(err error, n int) error {
	if n <= 1 || err == nil {
		return err
	}
	return fmt.Errorf("after %d attempts: %w", n, err)
}
