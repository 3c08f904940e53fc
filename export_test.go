package atlas

import (
	"context"
	"time"
)

// Hooks into the client's internals for the external tests (package atlas_test).

// SetSleep replaces the wait between attempts (and between Wait's polls), so that tests can
// observe backoff without spending it.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }

// SleepContext is the client's real sleep, for tests that hook the sleep and still need it.
var SleepContext = sleepContext

// WithClock sets the clock a service-account client uses to decide when its token needs
// renewing, when a refused token may be replaced and how long a refusal is remembered (and to
// judge a cached token). x/oauth2's ReuseTokenSource judges tokens by the wall clock, so now
// must not run behind it: start a test's clock at time.Now() and only move it forward.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		s.creds.now = now
		return nil
	}
}

// MinGrantInterval is how long a service-account client keeps a token at least.
const MinGrantInterval = minGrantInterval

// CollectOptions applies opts as NewClient does and returns what they collected, so that a
// test can print it.
func CollectOptions(opts ...Option) (any, error) {
	var s settings
	for _, opt := range opts {
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	return s, nil
}
