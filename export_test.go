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

// SetTokenClock replaces the clock a service-account client uses to decide when its cached
// token needs renewing and when a refused token may be replaced. Call it before the client's
// first request.
func SetTokenClock(c *Client, now func() time.Time) {
	c.hc.Transport.(*bearerAuth).tokens.(*serviceAccount).now = now
}

// MinGrantInterval is how long a service-account client keeps a token at least.
const MinGrantInterval = minGrantInterval

// CollectOptions applies opts as NewClient does and returns what they collected, so that a
// test can print it.
func CollectOptions(opts ...Option) (any, error) {
	var s settings
	for _, opt := range opts {
		if err := opt.apply(&s); err != nil {
			return nil, err
		}
	}
	return s, nil
}
