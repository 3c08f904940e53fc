package atlastest

import (
	"math"
	"net/http"
	"strconv"

	"golang.org/x/time/rate"
)

// allow takes one token from lim, sets the RateLimit-* headers the service sends, and answers
// 429 RATE_LIMITED when the bucket is empty. A nil limiter allows everything and sets no header.
// The limiter runs on the server's clock, so a test with a Clock refills it by advancing time.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, lim *rate.Limiter) bool {
	if lim == nil {
		return true
	}
	now := s.now()
	ok := lim.AllowN(now, 1)
	tokens := lim.TokensAt(now)
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(lim.Burst()))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	if ok {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(retryAfterSeconds(lim.Limit(), tokens)))
	writeAPIError(w, r, http.StatusTooManyRequests, "RATE_LIMITED",
		"You have exceeded the rate limit for this resource. Retry after the time given in Retry-After.")
	return false
}

// retryAfterSeconds is how long, in whole seconds rounded up, until the bucket holds one token
// again. A bucket that never refills says one minute, which is what a client should back off.
func retryAfterSeconds(limit rate.Limit, tokens float64) int {
	if limit <= 0 {
		return 60
	}
	return max(1, int(math.Ceil((1-tokens)/float64(limit))))
}
