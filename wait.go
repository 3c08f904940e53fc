package atlas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// Wait defaults, for both waiters.
const (
	DefaultPollInterval = 10 * time.Second
	DefaultMaxInterval  = time.Minute
)

// errMaxWait is the cause of a wait's context when MaxWait ended it.
var errMaxWait = errors.New("MaxWait passed")

// poller is one waiter: how to read the thing waited for, how to tell where it stands, and
// the caller's timing options as given.
type poller[T any] struct {
	what               string // "export job <id>", for errors
	read               func(context.Context) (*T, error)
	outcome            func(*T) (done bool, err error) // done when terminal; err when it failed
	progressed         func(prev, cur *T) bool
	onProgress         func(*T)
	poll, max, maxWait time.Duration
}

// wait checks p's timing options, filling the defaults, and polls as ExportsService.Wait
// documents.
func wait[T any](ctx context.Context, c *Client, p poller[T]) (*T, error) {
	if p.poll < 0 || p.max < 0 || p.maxWait < 0 {
		return nil, invalid("WaitOptions", "negative durations are not allowed")
	}
	p.poll = cmp.Or(p.poll, DefaultPollInterval)
	p.max = cmp.Or(p.max, max(DefaultMaxInterval, p.poll))
	if p.max < p.poll {
		return nil, invalid("WaitOptions", "MaxInterval is shorter than PollInterval")
	}
	if p.maxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, p.maxWait, errMaxWait)
		defer cancel()
	}
	interval := p.poll
	var last *T
	for {
		cur, err := p.read(ctx)
		if err != nil {
			return last, p.ended(ctx, err)
		}
		if p.onProgress != nil {
			p.onProgress(cur)
		}
		if done, err := p.outcome(cur); done {
			return cur, err
		}
		if last != nil && !p.progressed(last, cur) {
			interval = min(interval+interval/2, p.max)
		} else {
			interval = p.poll
		}
		last = cur
		if err := c.sleep(ctx, interval); err != nil {
			return last, p.ended(ctx, err)
		}
	}
}

// ended says why a wait ended: MaxWait, the caller's context, or a failed poll.
func (p poller[T]) ended(ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil:
		return err // a failed poll, already a typed error
	case context.Cause(ctx) == errMaxWait:
		return fmt.Errorf("atlas: waiting for %s: MaxWait of %s passed: %w", p.what, p.maxWait, context.DeadlineExceeded)
	default:
		return fmt.Errorf("atlas: waiting for %s: the context ended: %w", p.what, ctx.Err())
	}
}
