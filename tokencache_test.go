package atlas_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// memCache is an in-memory TokenCache that counts its calls; fail makes every call fail and
// block makes every call wait until its context ends, as a cache that is down or silent.
type memCache struct {
	mu     sync.Mutex
	toks   map[string]atlas.CachedToken
	keys   map[string]bool
	calls  map[string]int
	fail   error
	block  bool
	locked chan struct{}
}

func newMemCache() *memCache {
	return &memCache{toks: map[string]atlas.CachedToken{}, keys: map[string]bool{}, calls: map[string]int{}, locked: make(chan struct{}, 1)}
}

// enter counts a call and returns the error it ends with, if any.
func (m *memCache) enter(ctx context.Context, op, key string) error {
	m.mu.Lock()
	m.calls[op]++
	m.keys[key] = true
	fail, block := m.fail, m.block
	m.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return fail
}

func (m *memCache) Load(ctx context.Context, key string) (*atlas.CachedToken, error) {
	if err := m.enter(ctx, "load", key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tok, ok := m.toks[key]
	if !ok {
		return nil, nil
	}
	return &tok, nil
}

func (m *memCache) Store(ctx context.Context, key string, tok *atlas.CachedToken) error {
	if err := m.enter(ctx, "store", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.toks[key] = *tok
	return nil
}

func (m *memCache) Drop(ctx context.Context, key, accessToken string) error {
	if err := m.enter(ctx, "drop", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.toks[key].AccessToken == accessToken {
		delete(m.toks, key)
	}
	return nil
}

func (m *memCache) Lock(ctx context.Context, key string) (func(), error) {
	if err := m.enter(ctx, "lock", key); err != nil {
		return nil, err
	}
	select {
	case m.locked <- struct{}{}:
		return func() { <-m.locked }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *memCache) count(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}

// only returns the one token the cache holds.
func (m *memCache) only(t *testing.T) atlas.CachedToken {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	require.Len(t, m.toks, 1)
	for _, tok := range m.toks {
		return tok
	}
	return atlas.CachedToken{}
}

func (m *memCache) put(key string, tok atlas.CachedToken) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.toks[key] = tok
}

// logBuffer is a debug logger's output, safe to read while the client writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// cacheFake starts the fake on a clock the test moves; clients connect to it with cache.
type cacheFake struct {
	srv   *atlastest.Server
	clock *atlastest.Clock
	key   string // the key the clients use: hex SHA-256 of base URL, newline, client ID
}

func newCacheFake(t *testing.T, opts ...atlastest.Option) *cacheFake {
	t.Helper()
	clock := atlastest.NewClock(time.Now())
	srv := authFake(t, append([]atlastest.Option{atlastest.WithClock(clock.Now)}, opts...)...)
	sum := sha256.Sum256([]byte(srv.URL + "\n" + testClientID))
	return &cacheFake{srv: srv, clock: clock, key: hex.EncodeToString(sum[:])}
}

func (f *cacheFake) client(t *testing.T, cache atlas.TokenCache, opts ...atlas.Option) *atlas.Client {
	t.Helper()
	return authClient(t, f.srv.URL, append([]atlas.Option{atlas.WithServiceAccount(testClientID, testSecret),
		atlas.WithClock(f.clock.Now), atlas.WithTokenCache(cache)}, opts...)...)
}

func TestTokenCacheSharesOneGrant(t *testing.T) {
	t.Parallel()
	f := newCacheFake(t)
	cache := newMemCache()
	for range 5 {
		c := f.client(t, cache)
		require.NoError(t, getTestJob(t.Context(), c))
		require.NoError(t, c.Close(t.Context()))
	}
	assert.Equal(t, 1, f.srv.TokenGrants(), "five clients, one grant")
	assert.Zero(t, f.srv.TokenRevocations(), "Close does not revoke a token the cache shares")
	assert.Equal(t, 1, f.srv.LiveTokens())
	assert.Equal(t, map[string]bool{f.key: true}, cache.keys, "keyed by base URL and client ID, never the secret")
	assert.Equal(t, 5, cache.count("lock"))
	assert.Equal(t, 1, cache.count("store"))

	tok := cache.only(t)
	assert.Equal(t, f.clock.Now(), tok.GrantedAt)
	assert.Equal(t, f.clock.Now().Add(time.Hour), tok.Expiry)
	assert.NotContains(t, tok.AccessToken, testSecret)

	// At the renewal time the next client grants and stores the new token.
	f.clock.Advance(59 * time.Minute)
	require.NoError(t, getTestJob(t.Context(), f.client(t, cache)))
	assert.Equal(t, 2, f.srv.TokenGrants())
	assert.Equal(t, f.clock.Now(), cache.only(t).GrantedAt)
}

func TestTokenCacheConcurrentClientsGrantOnce(t *testing.T) {
	t.Parallel()
	f := newCacheFake(t)
	cache := newMemCache()
	var wg sync.WaitGroup
	for range 8 {
		c := f.client(t, cache)
		wg.Go(func() { assert.NoError(t, getTestJob(t.Context(), c)) })
	}
	wg.Wait()
	assert.Equal(t, 1, f.srv.TokenGrants(), "the lock makes the others wait for the first one's token")
}

// A cached token past its expiry by this client's clock (another machine's clock ran behind,
// or the token sat in the cache) is not used: the client grants and replaces it.
func TestTokenCacheExpiredTokenIsReplaced(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for name, stale := range map[string]atlas.CachedToken{
		"expired":          {AccessToken: "stale-token", GrantedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour)},
		"due for renewal":  {AccessToken: "stale-token", GrantedAt: now.Add(-time.Hour), Expiry: now.Add(30 * time.Second)},
		"granted in 2 min": {AccessToken: "stale-token", GrantedAt: now.Add(2 * time.Minute), Expiry: now.Add(-time.Second)},
		"not a token":      {AccessToken: "bad\x1btoken", GrantedAt: now, Expiry: now.Add(time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCacheFake(t)
			cache := newMemCache()
			cache.put(f.key, stale)
			require.NoError(t, getTestJob(t.Context(), f.client(t, cache)))
			assert.Equal(t, 1, f.srv.TokenGrants())
			assert.NotEqual(t, stale.AccessToken, cache.only(t).AccessToken)
		})
	}
}

// A cached token revoked elsewhere (an administrator, another run's Close) is refused with
// 401: the client drops it from the cache, grants once and repeats the call.
func TestTokenCacheRevokedTokenIsDroppedAndReplaced(t *testing.T) {
	t.Parallel()
	f := newCacheFake(t)
	cache := newMemCache()
	tok, err := grantAtFake(t.Context(), f.srv)
	require.NoError(t, err)
	cache.put(f.key, atlas.CachedToken{AccessToken: tok, GrantedAt: f.clock.Now().Add(-time.Minute), Expiry: f.clock.Now().Add(59 * time.Minute)})
	f.srv.RevokeTokens()

	c := f.client(t, cache)
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, f.srv.TokenGrants(), "the revoked token's grant, and one more")
	assert.Equal(t, 2, f.srv.Requests(atlastest.RouteGetExport), "refused once, repeated once")
	assert.Equal(t, 1, cache.count("drop"))
	assert.NotEqual(t, tok, cache.only(t).AccessToken, "the new token is stored")

	require.NoError(t, getTestJob(t.Context(), f.client(t, cache)))
	assert.Equal(t, 2, f.srv.TokenGrants(), "and the next run uses it")
}

// A cache that fails or never answers never fails a call: each cache call is bounded, the
// client grants as it would without a cache, and says so in a debug record without the token.
func TestTokenCacheThatFailsNeverFailsACall(t *testing.T) {
	t.Parallel()
	for name, cache := range map[string]*memCache{
		"failing": func() *memCache { m := newMemCache(); m.fail = errors.New("disk on fire"); return m }(),
		"silent":  func() *memCache { m := newMemCache(); m.block = true; return m }(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newCacheFake(t)
			var logs logBuffer
			c := f.client(t, cache, atlas.WithLogger(logs.logger()))
			start := time.Now()
			require.NoError(t, getTestJob(t.Context(), c))
			assert.Less(t, time.Since(start), 10*time.Second, "lock 5 s, load 2 s, store 2 s at most")
			assert.Equal(t, 1, f.srv.TokenGrants())
			for _, op := range []string{"lock", "load", "store"} {
				assert.Contains(t, logs.String(), "op="+op)
			}
			assert.Contains(t, logs.String(), "atlas token cache failed")
			require.NoError(t, getTestJob(t.Context(), c))
			assert.Equal(t, 1, f.srv.TokenGrants(), "the client keeps its own token")
			assert.NotContains(t, logs.String(), testSecret)
		})
	}
}

func TestWithTokenCacheNil(t *testing.T) {
	t.Parallel()
	_, err := atlas.NewClient(atlas.WithServiceAccount(testClientID, testSecret), atlas.WithTokenCache(nil))
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
}
