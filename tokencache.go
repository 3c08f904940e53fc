package atlas

import (
	"context"
	"fmt"
	"time"
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
