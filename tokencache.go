package atlas

import (
	"context"
	"fmt"
	"log/slog"
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
// The client bounds every call with a short timeout of its own, through its context: an
// implementation must return once ctx ends. A cache that fails or is slow never fails a call:
// the client then grants as it would without one and writes a debug log record. Implementations
// must be safe for concurrent use.
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
	return optionFunc(func(s *settings) error {
		if cache == nil {
			return invalid("WithTokenCache", "the cache is nil")
		}
		s.creds.cache = cache
		return nil
	})
}

// load returns the cache's token when it is usable: a visible b64token, not the one this
// client last saw refused, not expired, and not due for renewal by the client's clock.
func (s *serviceAccount) load(dead string) *oauth2.Token {
	var ct *CachedToken
	err := s.cacheCall(s.ctx, "load", cacheCallTimeout, "", func(ctx context.Context) (err error) {
		ct, err = s.cache.Load(ctx, s.cacheKey)
		return err
	})
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
	return s.cacheCall(s.ctx, "store", cacheCallTimeout, tok, func(ctx context.Context) error {
		return s.cache.Store(ctx, s.cacheKey, ct)
	}) == nil
}

// cacheCall calls the cache through f with a context that ends after d or with parent (the
// client's, which Close ends, or a caller's); a cache must return when it ends
// (NewFileTokenCache and redistoken do). A failure is written to the client's logger at debug
// level, without the secret, the token held or tok.
func (s *serviceAccount) cacheCall(parent context.Context, op string, d time.Duration, tok string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	err := f(ctx)
	if err != nil && s.logger != nil {
		s.logger.LogAttrs(s.ctx, slog.LevelDebug, "atlas token cache failed; going on without it",
			slog.String("op", op), slog.String("error", s.redact(err.Error(), tok, s.current())))
	}
	return err
}
