package atlas

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultAttemptTimeout bounds each attempt of a request, from sending it to the last byte of
// its answer, when WithHTTPClient gives no Timeout: a server that stops answering, before its
// headers or in the middle of a body, ends the attempt rather than holding the call forever.
// A context that ends sooner ends the attempt sooner. An attempt cut off by it fails with an
// error matching context.DeadlineExceeded whose Timeout method reports true; reads are tried
// again as after any timeout.
const DefaultAttemptTimeout = time.Minute

// errAttemptTimeout is the cause of an attempt context the clock ended.
var errAttemptTimeout = errors.New("attempt timeout")

// attemptClock ends the attempts of one client that outlive its attempt timeout.
//
// A timer per attempt costs a loopback call about 2 % (bench/README.md); one timer per client
// does the work instead. Every attempt of a client has the same timeout, so deadlines come in
// the order attempts start: the attempts in flight are a queue whose head expires first, and
// the one timer is armed for the head. An attempt that ends unlinks itself and leaves the
// timer alone; when the timer fires it ends what has expired and re-arms for the new head, or
// stays idle when none is left, so it fires about once a timeout while calls are made and
// never when none are.
type attemptClock struct {
	timeout time.Duration

	mu          sync.Mutex
	first, last *attemptEntry // the queue, oldest first
	timer       *time.Timer   // nil until the first attempt
	armed       bool          // the timer will fire
}

// attemptEntry is one attempt in flight.
type attemptEntry struct {
	deadline   time.Time
	cancel     context.CancelCauseFunc
	prev, next *attemptEntry
}

// start bounds one attempt by the clock's timeout, unless the caller's context ends sooner:
// then it is used as it is, at no cost. done must be called when the attempt ends.
func (k *attemptClock) start(ctx context.Context) (_ context.Context, done func()) {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= k.timeout {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	e := &attemptEntry{cancel: cancel}
	k.mu.Lock()
	e.deadline = time.Now().Add(k.timeout) // under the lock, so that the queue stays in order
	if k.last == nil {
		k.first = e
	} else {
		k.last.next, e.prev = e, k.last
	}
	k.last = e
	if !k.armed {
		k.arm(k.timeout)
	}
	k.mu.Unlock()
	return ctx, func() {
		k.remove(e)
		cancel(nil)
	}
}

// timedOut reports whether the clock ended the attempt of ctx.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errAttemptTimeout)
}

// arm makes the timer fire after d. The caller holds k.mu.
func (k *attemptClock) arm(d time.Duration) {
	if k.timer == nil {
		k.timer = time.AfterFunc(d, k.expire)
	} else {
		k.timer.Reset(d)
	}
	k.armed = true
}

// remove unlinks e, if the clock has not already ended it.
func (k *attemptClock) remove(e *attemptEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e.prev == nil && k.first != e {
		return // expired: expire unlinked it
	}
	if e.prev == nil {
		k.first = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		k.last = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next = nil, nil
}

// expire ends every attempt whose deadline has passed and re-arms the timer for the next.
func (k *attemptClock) expire() {
	now := time.Now()
	var ended []*attemptEntry
	k.mu.Lock()
	for e := k.first; e != nil && !e.deadline.After(now); e = k.first {
		k.first = e.next
		if k.first == nil {
			k.last = nil
		} else {
			k.first.prev = nil
		}
		e.next = nil
		ended = append(ended, e)
	}
	k.armed = false
	if k.first != nil {
		k.arm(k.first.deadline.Sub(now))
	}
	k.mu.Unlock()
	for _, e := range ended {
		e.cancel(errAttemptTimeout)
	}
}
