package redistoken

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/atlas-exports/atlas"
)

// Defaults of the options.
const (
	DefaultKeyPrefix = "atlas-go:token:"
	DefaultLockTTL   = 10 * time.Second
	DefaultTimeout   = time.Second
)

// lockRetry is how often Lock tries a lock another run holds: a grant takes longer.
const lockRetry = 50 * time.Millisecond

// maxValue caps what Load reads of a stored token (GETRANGE, not GET): a token and two times
// take a few hundred bytes, and a value far larger was not written by this package.
const maxValue = 16 << 10

// unlockScript deletes a lock only while it is still the caller's: a holder whose TTL ended
// must not free the lock another run has taken since.
var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// dropScript deletes a token only if it is the one the API refused: a newer token stored by
// another run stays.
var dropScript = redis.NewScript(`local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, t = pcall(cjson.decode, v)
if ok and type(t) == 'table' and t.access_token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Cache is an atlas.TokenCache in Redis, shared by every run of a service account on every
// machine that reaches the same Redis. Make one with New; it is safe for concurrent use.
type Cache struct {
	rdb     redis.UniversalClient
	prefix  string
	lockTTL time.Duration
	timeout time.Duration
}

// Option configures a Cache.
type Option func(*Cache)

// WithKeyPrefix sets the prefix of the Redis keys (default DefaultKeyPrefix). The token of key
// K is at PREFIX+K and its lock at PREFIX+K+":lock". An empty prefix keeps the default.
func WithKeyPrefix(prefix string) Option {
	return func(c *Cache) {
		if prefix != "" {
			c.prefix = prefix
		}
	}
}

// WithLockTTL sets how long a lock lives when its holder neither releases it nor dies cleanly
// (default DefaultLockTTL). It must outlast a grant: a holder still granting when the TTL ends
// lets a second run grant too, one grant more, never a wrong token. A value <= 0 keeps the
// default.
func WithLockTTL(d time.Duration) Option {
	return func(c *Cache) {
		if d > 0 {
			c.lockTTL = d
		}
	}
}

// WithTimeout bounds each Redis command the Cache sends (default DefaultTimeout), whatever the
// caller's context says, and whether or not the client honours contexts on its sockets. A value
// <= 0 keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(c *Cache) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// New returns a Cache on rdb (a *redis.Client, *redis.ClusterClient, *redis.Ring or a failover
// client). The Cache never closes rdb.
//
// Set ContextTimeoutEnabled in rdb's options. Every call of the Cache returns within its
// timeout (WithTimeout) either way, but without that option go-redis ignores context deadlines
// on its sockets, so a command to a Redis that stopped answering goes on in the background
// until rdb's own ReadTimeout (3 s by default) ends it, holding a connection of the pool.
func New(rdb redis.UniversalClient, opts ...Option) *Cache {
	c := &Cache{rdb: rdb, prefix: DefaultKeyPrefix, lockTTL: DefaultLockTTL, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Load returns the token stored under key, or nil and no error when there is none, or when the
// value there is not a token this package wrote (it is then ignored, and replaced by the next
// Store).
func (c *Cache) Load(ctx context.Context, key string) (*atlas.CachedToken, error) {
	var data string
	err := c.bounded(ctx, "load", func(ctx context.Context) (err error) {
		data, err = c.rdb.GetRange(ctx, c.prefix+key, 0, maxValue).Result()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var tok atlas.CachedToken
	if len(data) > maxValue || json.Unmarshal([]byte(data), &tok) != nil || tok.AccessToken == "" || tok.GrantedAt.IsZero() {
		return nil, nil // missing (GETRANGE answers ""), corrupt or not ours
	}
	return &tok, nil
}

// Store keeps tok under key until tok.Expiry, when Redis deletes it (PX). A token with no
// expiry is kept for an hour, the lifetime of an Atlas token; an expired one is not kept.
func (c *Cache) Store(ctx context.Context, key string, tok *atlas.CachedToken) error {
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("redistoken: store: %w: no token", atlas.ErrInvalidArgument)
	}
	ttl := time.Hour
	if !tok.Expiry.IsZero() {
		ttl = time.Until(tok.Expiry)
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("redistoken: store: encoding the token: %w", err)
	}
	return c.bounded(ctx, "store", func(ctx context.Context) error {
		if ttl < time.Millisecond {
			return c.rdb.Del(ctx, c.prefix+key).Err()
		}
		return c.rdb.Set(ctx, c.prefix+key, data, ttl).Err()
	})
}

// Drop deletes the token stored under key if it is accessToken, in one step on the server (a
// Lua compare-and-delete), so that a newer token stored by another run stays.
func (c *Cache) Drop(ctx context.Context, key, accessToken string) error {
	return c.bounded(ctx, "drop", func(ctx context.Context) error {
		return dropScript.Run(ctx, c.rdb, []string{c.prefix + key}, accessToken).Err()
	})
}

// Lock takes key's lock, SET NX PX with a random owner value, trying every 50 ms until it is
// free or ctx ends. The lock ends by itself after the lock TTL (WithLockTTL), so a holder that
// died frees it then. unlock deletes it only while it is still this caller's (a Lua
// compare-and-delete), bounded by the Cache's timeout.
func (c *Cache) Lock(ctx context.Context, key string) (unlock func(), err error) {
	lockKey := c.prefix + key + ":lock"
	owner := rand.Text()
	for {
		var ok bool
		err := c.bounded(ctx, "lock", func(ctx context.Context) (err error) {
			ok, err = c.rdb.SetNX(ctx, lockKey, owner, c.lockTTL).Result()
			return err
		})
		if err != nil {
			return nil, err
		}
		if ok {
			return func() {
				// No caller to report to: a lock not released ends with its TTL.
				_ = c.bounded(context.Background(), "unlock", func(ctx context.Context) error {
					return unlockScript.Run(ctx, c.rdb, []string{lockKey}, owner).Err()
				})
			}, nil
		}
		t := time.NewTimer(lockRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("redistoken: waiting for the lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// bounded runs one Redis command with the Cache's timeout and returns by then even if the
// command does not: go-redis honours the context on its sockets only with
// ContextTimeoutEnabled, so without it a silent Redis would hold the caller for rdb's read
// timeout and retries. The command left behind ends with those.
func (c *Cache) bounded(ctx context.Context, op string, cmd func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd(ctx) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("redistoken: %s: %w", op, err)
		}
		return err
	case <-ctx.Done():
		return fmt.Errorf("redistoken: %s: no answer from Redis within %v: %w", op, c.timeout, ctx.Err())
	}
}
