package atlas

import (
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

// poller is one waiter: how to read the thing waited for, and how to tell where it stands.
type poller[T any] struct {
	what       string // "export job <id>", for errors
	read       func(context.Context) (*T, error)
	outcome    func(*T) (done bool, err error) // done when terminal; err when it failed
	progressed func(prev, cur *T) bool
	onProgress func(*T)
}

// pollIntervals are a waiter's timing options, checked and defaulted.
type pollIntervals struct {
	poll, max, maxWait time.Duration
}

// checkWait checks every argument of a Wait before anything else happens: the context, the
// group, the cluster, the id of the thing waited for (idName names it) and the options. So a
// refused argument is always ErrInvalidArgument, never a wait that ends with the context and
// names the refused value.
func checkWait(ctx context.Context, groupID, clusterName, idName, id string, poll, maxInterval, maxWait time.Duration) (pollIntervals, error) {
	if err := checkCluster(ctx, groupID, clusterName); err != nil {
		return pollIntervals{}, err
	}
	if err := checkHexID(idName, id); err != nil {
		return pollIntervals{}, err
	}
	return checkIntervals(poll, maxInterval, maxWait)
}

// checkIntervals refuses negative durations and fills the defaults.
func checkIntervals(poll, maxInterval, maxWait time.Duration) (pollIntervals, error) {
	if poll < 0 || maxInterval < 0 || maxWait < 0 {
		return pollIntervals{}, invalid("WaitOptions", "negative durations are not allowed")
	}
	if poll == 0 {
		poll = DefaultPollInterval
	}
	if maxInterval == 0 {
		maxInterval = max(DefaultMaxInterval, poll)
	}
	if maxInterval < poll {
		return pollIntervals{}, invalid("WaitOptions", "MaxInterval is shorter than PollInterval")
	}
	return pollIntervals{poll: poll, max: maxInterval, maxWait: maxWait}, nil
}

// wait polls until p says the thing is done. The first poll is immediate; the interval grows
// by half while nothing changes, up to the maximum, and returns to the poll interval after a
// change. When a poll fails or the wait ends (context or MaxWait) it returns the last state
// seen, if any, with the error.
func wait[T any](ctx context.Context, c *Client, iv pollIntervals, p poller[T]) (*T, error) {
	if iv.maxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, iv.maxWait, errMaxWait)
		defer cancel()
	}
	interval := iv.poll
	var last *T
	for {
		cur, err := p.read(ctx)
		if err != nil {
			return last, p.ended(ctx, iv, err)
		}
		if p.onProgress != nil {
			p.onProgress(cur)
		}
		if done, err := p.outcome(cur); done {
			return cur, err
		}
		if last != nil && !p.progressed(last, cur) {
			interval = min(interval+interval/2, iv.max)
		} else {
			interval = iv.poll
		}
		last = cur
		if err := c.sleep(ctx, interval); err != nil {
			return last, p.ended(ctx, iv, err)
		}
	}
}

// ended says why a wait ended: MaxWait, the caller's context, or a failed poll.
func (p poller[T]) ended(ctx context.Context, iv pollIntervals, err error) error {
	switch {
	case ctx.Err() == nil:
		return err // a failed poll, already a typed error
	case context.Cause(ctx) == errMaxWait:
		return fmt.Errorf("atlas: waiting for %s: MaxWait of %s passed: %w", p.what, iv.maxWait, context.DeadlineExceeded)
	default:
		return fmt.Errorf("atlas: waiting for %s: the context ended: %w", p.what, ctx.Err())
	}
}
