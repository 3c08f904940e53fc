package atlas

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttemptClockEndsExpiredAttemptsInOrder starts attempts one after another on one clock:
// each one left running is ended with the attempt-timeout cause, no sooner than its own
// deadline, and one that ended in time is never touched.
func TestAttemptClockEndsExpiredAttemptsInOrder(t *testing.T) {
	t.Parallel()
	const timeout = 40 * time.Millisecond
	k := &attemptClock{timeout: timeout}
	type started struct {
		ctx   context.Context
		done  func()
		begun time.Time
	}
	var attempts []started
	for range 4 {
		begun := time.Now()
		ctx, done := k.start(context.Background())
		attempts = append(attempts, started{ctx, done, begun})
	}
	attempts[1].done() // ends in time

	for i, a := range attempts {
		if i == 1 {
			continue
		}
		<-a.ctx.Done()
		assert.True(t, timedOut(a.ctx), "attempt %d ended by the clock", i)
		assert.GreaterOrEqual(t, time.Since(a.begun), timeout, "attempt %d not ended before its deadline", i)
		a.done()
	}
	assert.ErrorIs(t, context.Cause(attempts[1].ctx), context.Canceled, "the attempt that ended in time")
	assert.False(t, timedOut(attempts[1].ctx))

	k.mu.Lock()
	defer k.mu.Unlock()
	assert.Nil(t, k.first, "nothing left in flight")
	assert.Nil(t, k.last)
}

// TestAttemptClockIdlesWithoutAttempts checks that the clock's one timer stops firing once no
// attempt is in flight, and is armed again by the next attempt.
func TestAttemptClockIdlesWithoutAttempts(t *testing.T) {
	t.Parallel()
	k := &attemptClock{timeout: 20 * time.Millisecond}
	ctx, done := k.start(context.Background())
	done()
	assert.False(t, timedOut(ctx))

	require.Eventually(t, func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		return !k.armed
	}, time.Second, time.Millisecond, "the timer fired once, found nothing and stayed idle")

	ctx, done = k.start(context.Background())
	defer done()
	k.mu.Lock()
	armed := k.armed
	k.mu.Unlock()
	assert.True(t, armed, "the next attempt arms it again")
	<-ctx.Done()
	assert.True(t, timedOut(ctx))
}

// TestAttemptClockLeavesASoonerDeadlineAlone checks that a caller whose context ends before
// the attempt timeout would gets its own context back: no clock entry, no cancel.
func TestAttemptClockLeavesASoonerDeadlineAlone(t *testing.T) {
	t.Parallel()
	k := &attemptClock{timeout: time.Minute}
	caller, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ctx, done := k.start(caller)
	defer done()
	assert.Equal(t, caller, ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	assert.Nil(t, k.first)
	assert.Nil(t, k.timer, "no timer made")
}

// TestAttemptTimeoutSettings checks where a client's attempt timeout comes from:
// DefaultAttemptTimeout, or WithHTTPClient's Timeout when it is set.
func TestAttemptTimeoutSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"default", nil, DefaultAttemptTimeout},
		{"a client without a Timeout", []Option{WithHTTPClient(&http.Client{})}, DefaultAttemptTimeout},
		{"a client with one", []Option{WithHTTPClient(&http.Client{Timeout: 5 * time.Minute})}, 5 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(append(tt.opts, WithAccessToken("token"))...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.clock.timeout)
		})
	}
}
