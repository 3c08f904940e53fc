package atlas

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// TokenCache keeps service-account tokens where other clients, in this process, in other
// processes or on other machines, can find them, so that a fleet of short-lived runs on one
// service account shares one token instead of granting one each (Atlas grants about ten a
// minute per client and keeps at most 100 live tokens per service account). Set one with
// WithTokenCache; NewFileTokenCache is one for a machine, the redistoken module one for a fleet,
// and any other store (Vault, a Kubernetes Secret) can implement it.
//
// Keys are chosen by the client from the base URL and the client ID, never from the secret, and
// are safe as file names and Redis keys ([0-9a-f]{64}). A cache never stores a secret.
//
// The client bounds every call with a short timeout of its own, and a cache that fails or is
// slow never fails a call: the client then grants as it would without one and writes a debug log
// record. Implementations must be safe for concurrent use.
type TokenCache interface {
	// Load returns the token stored under key, or nil and no error when there is none. It may
	// return an expired token; the client checks.
	Load(ctx context.Context, key string) (*CachedToken, error)
	// Store keeps tok under key, replacing what was there.
	Store(ctx context.Context, key string, tok *CachedToken) error
	// Drop removes the token stored under key if its AccessToken is accessToken, so that a
	// token the API refused is not handed to another run; a newer token stored meanwhile stays.
	Drop(ctx context.Context, key, accessToken string) error
	// Lock takes key's lock, shared by every client of the cache, waiting until it is free or
	// ctx ends. The client holds it while it loads, grants and stores, so that one run grants
	// while the others wait for its token. unlock releases it; a holder that dies must not hold
	// it forever (a lock file closed by the kernel, a lock with a TTL).
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// CachedToken is a service-account access token as a TokenCache keeps it.
type CachedToken struct {
	// AccessToken is the bearer token.
	AccessToken string `json:"access_token"`
	// GrantedAt is when the token endpoint granted it.
	GrantedAt time.Time `json:"granted_at"`
	// Expiry is when it expires: GrantedAt plus the endpoint's expires_in. Zero when the
	// endpoint gave no lifetime.
	Expiry time.Time `json:"expiry,omitzero"`
}

// Format prints a CachedToken without its token, whatever the verb.
func (t CachedToken) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "atlas.CachedToken{GrantedAt: %s, Expiry: %s}", t.GrantedAt.Format(time.RFC3339), t.Expiry.Format(time.RFC3339))
}

// Bounds on every call to a TokenCache: a cache that is slow or down costs a call at most this
// much before the client grants as it would without one.
const (
	// cacheCallTimeout bounds Load, Store and Drop.
	cacheCallTimeout = 2 * time.Second
	// cacheLockTimeout bounds the wait for Lock: another run may be granting meanwhile.
	cacheLockTimeout = 5 * time.Second
)

// WithTokenCache shares a service account's tokens through cache with other clients, in this
// process, in other processes or on other machines, so that short-lived runs reuse one token
// instead of granting one each. It applies to WithServiceAccount and is ignored by the other
// auth modes.
//
// Under the cache's lock, a client loads a stored token before it grants: one that has not
// expired and is not yet due for renewal (see WithServiceAccount) is used as is, else the
// client grants and stores the new token. A token the API refuses is dropped from the cache
// under the same rule as without one (once it has been in use 30 s), so that no run is handed
// it again. Close does not revoke a token stored in the cache. Every cache call is bounded (2 s
// for Load, Store and Drop; 5 s to take the lock); a cache that fails or is slow never fails a
// call: the client writes a debug record to WithLogger's logger, without the token, and grants
// as it would without a cache.
func WithTokenCache(cache TokenCache) Option {
	return func(s *settings) error {
		if cache == nil {
			return invalid("WithTokenCache", "the cache is nil")
		}
		s.creds.cache = cache
		return nil
	}
}

// load returns the cache's token when it is usable: a visible b64token, not the one this
// client last saw refused, not expired, and not due for renewal by the client's clock.
func (s *serviceAccount) load(dead string) *oauth2.Token {
	ct, err := bounded(s, "load", cacheCallTimeout, func(ctx context.Context) (*CachedToken, error) {
		return s.cache.Load(ctx, s.cacheKey)
	}, nil)
	if err != nil || ct == nil || ct.AccessToken == dead || !b64token(ct.AccessToken) || ct.GrantedAt.IsZero() {
		return nil
	}
	now := s.now()
	lifetime := untilRefused
	if !ct.Expiry.IsZero() {
		if !now.Before(ct.Expiry) {
			return nil // expired, whatever the clock of the run that stored it said
		}
		lifetime = ct.Expiry.Sub(ct.GrantedAt)
	}
	renew := renewAt(ct.GrantedAt, lifetime)
	if !now.Before(renew) {
		return nil
	}
	s.hold(ct.AccessToken, heldToken{grantedAt: ct.GrantedAt, expiry: ct.Expiry})
	return &oauth2.Token{AccessToken: ct.AccessToken, TokenType: "Bearer", Expiry: renew}
}

// store keeps a token this client granted in the cache, and reports whether it is now shared.
func (s *serviceAccount) store(tok string, start time.Time, lifetime time.Duration) bool {
	ct := &CachedToken{AccessToken: tok, GrantedAt: start, Expiry: expiry(start, lifetime)}
	_, err := bounded(s, "store", cacheCallTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.cache.Store(ctx, s.cacheKey, ct)
	}, nil)
	return err == nil
}

// bounded calls the cache through f with a context that ends after d (or when the client
// closes), and returns f's result or, for a cache that ignores its context, the context's
// error once d has passed: f then goes on in its own goroutine, and late is given what it
// returns, if it succeeds. A failure is written to the client's logger, at debug level.
func bounded[T any](s *serviceAccount, op string, d time.Duration, f func(context.Context) (T, error), late func(T)) (T, error) {
	ctx, cancel := context.WithTimeout(s.ctx, d)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	var mu sync.Mutex
	gaveUp := false
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		mu.Lock()
		defer mu.Unlock()
		if gaveUp && err == nil && late != nil {
			late(v)
		}
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		mu.Lock()
		select {
		case r = <-done:
		default:
			gaveUp = true
			r.err = fmt.Errorf("no answer within %v: %w", d, ctx.Err())
		}
		mu.Unlock()
	}
	if r.err != nil && s.logger != nil {
		s.logger.LogAttrs(s.ctx, slog.LevelDebug, "atlas token cache failed; granting without it",
			slog.String("op", op), slog.String("error", s.redactAll(r.err.Error())))
	}
	return r.v, r.err
}

// redactAll hides the client's secret and the tokens it holds from a text.
func (s *serviceAccount) redactAll(text string) string {
	text = s.redact(text)
	st := s.st.get()
	st.mu.Lock()
	defer st.mu.Unlock()
	for tok := range st.held {
		text = strings.ReplaceAll(text, tok, "[redacted]")
	}
	return text
}
