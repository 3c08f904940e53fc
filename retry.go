package atlas

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// maxRetryAfter is the longest Retry-After the client waits for. A server asking for more is
// answered with its own error at once, RetryAfter set, so the caller can decide.
const maxRetryAfter = time.Minute

// retryableStatus reports whether a status is worth another attempt of a safe request.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableError reports whether a transport error is worth another attempt. A request that
// must not be repeated (unsafe) is retried only when it certainly never left: the dial failed,
// or the token grant before it failed.
func retryableError(err error, unsafe bool) bool {
	if errors.Is(err, ErrRedirect) || errors.Is(err, ErrBodyTooLarge) {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		// The service-account token grant failed before the request was sent.
		return retryableStatus(apiErr.StatusCode)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	if unsafe {
		return false
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// grantRetryAfter is the Retry-After of a refused service-account token grant, zero for any
// other error: the token endpoint is rate limited too, and asks for its own wait.
func grantRetryAfter(err error) time.Duration {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.RetryAfter
	}
	return 0
}

// backoff is the wait before attempt+1: exponential growth from MinBackoff capped at
// MaxBackoff, with full jitter, and never less than the server's Retry-After.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	lo, hi := c.retry.MinBackoff, c.retry.MaxBackoff
	ceiling := hi
	if shift := attempt - 1; shift < 32 && lo<<shift > 0 && lo<<shift < hi {
		ceiling = lo << shift
	}
	wait := lo
	if ceiling > lo {
		wait += rand.N(ceiling - lo + 1)
	}
	return max(wait, retryAfter)
}

// sleepContext waits d or until ctx ends, whichever is first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
