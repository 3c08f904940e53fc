package atlas

import (
	"context"
	"time"
)

// DefaultAttemptTimeout bounds each attempt of a request, from sending it to the last byte of
// its answer, when WithHTTPClient gives no Timeout: a server that stops answering, before its
// headers or in the middle of a body, ends the attempt rather than holding the call forever.
// A context that ends sooner ends the attempt sooner. An attempt cut off by it fails with an
// error matching context.DeadlineExceeded whose Timeout method reports true; reads are tried
// again as after any timeout.
const DefaultAttemptTimeout = time.Minute

// attemptContext bounds one attempt by the client's attempt timeout, unless the caller's
// context ends sooner: then it is used as it is, at no cost.
func (c *Client) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= c.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}
