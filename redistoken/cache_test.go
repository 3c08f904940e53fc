package redistoken_test

import (
	"context"
	"crypto/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/redistoken"
)

// cacheKey is a key as the client makes them: 64 lowercase hex digits.
var cacheKey = strings.Repeat("cd", 32)

// setup returns a client of the test Redis and a key prefix no other test uses.
func setup(t *testing.T) (*redis.Client, string) {
	t.Helper()
	opts := *redisOptions
	opts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(&opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, "atlas-test:" + rand.Text() + ":"
}

func sampleToken(access string, life time.Duration) *atlas.CachedToken {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &atlas.CachedToken{AccessToken: access, GrantedAt: now, Expiry: now.Add(life)}
}

func TestRoundTrip(t *testing.T) {
	rdb, prefix := setup(t)
	c := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix))
	ctx := t.Context()

	got, err := c.Load(ctx, cacheKey)
	require.NoError(t, err)
	assert.Nil(t, got, "nothing stored yet")

	want := sampleToken("tok-1", time.Hour)
	require.NoError(t, c.Store(ctx, cacheKey, want))
	got, err = redistoken.New(rdb, redistoken.WithKeyPrefix(prefix)).Load(ctx, cacheKey)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "tok-1", got.AccessToken)
	assert.True(t, want.GrantedAt.Equal(got.GrantedAt))
	assert.True(t, want.Expiry.Equal(got.Expiry))

	// The key is PREFIX+KEY and Redis deletes it when the token expires.
	ttl, err := rdb.PTTL(ctx, prefix+cacheKey).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 59*time.Minute)
	assert.LessOrEqual(t, ttl, time.Hour)
	raw, err := rdb.Get(ctx, prefix+cacheKey).Result()
	require.NoError(t, err)
	assert.NotContains(t, raw, "secret")

	// An expired token is not kept.
	require.NoError(t, c.Store(ctx, cacheKey, sampleToken("old", -time.Minute)))
	got, err = c.Load(ctx, cacheKey)
	require.NoError(t, err)
	assert.Nil(t, got)
}

func TestDefaultPrefix(t *testing.T) {
	rdb, _ := setup(t)
	key := strings.Repeat("0", 63) + "1"
	t.Cleanup(func() { rdb.Del(context.Background(), redistoken.DefaultKeyPrefix+key) })
	require.NoError(t, redistoken.New(rdb).Store(t.Context(), key, sampleToken("tok", time.Minute)))
	n, err := rdb.Exists(t.Context(), "atlas-go:token:"+key).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

func TestIgnoresValuesItDidNotWrite(t *testing.T) {
	rdb, prefix := setup(t)
	c := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix))
	for name, value := range map[string]string{
		"corrupt":   "{not json",
		"truncated": `{"access_token":"t","granted_at":"2026-01-01T00:`,
		"no token":  `{"granted_at":"2026-01-01T00:00:00Z"}`,
		"oversized": `{"access_token":"t","granted_at":"2026-01-01T00:00:00Z","x":"` + strings.Repeat("x", 1<<20) + `"}`,
	} {
		require.NoError(t, rdb.Set(t.Context(), prefix+cacheKey, value, 0).Err())
		got, err := c.Load(t.Context(), cacheKey)
		require.NoError(t, err, name)
		assert.Nil(t, got, name)
	}
	require.NoError(t, c.Store(t.Context(), cacheKey, sampleToken("mine", time.Hour)))
	got, err := c.Load(t.Context(), cacheKey)
	require.NoError(t, err)
	require.NotNil(t, got, "Store replaced the value")
	assert.Equal(t, "mine", got.AccessToken)
}

// The Redis cache keeps the contract atlastest.TestTokenCache checks, and so would any cache.
func TestKeepsTheContract(t *testing.T) {
	rdb, prefix := setup(t)
	require.NoError(t, atlastest.TestTokenCache(redistoken.New(rdb, redistoken.WithKeyPrefix(prefix))))
}

// TestLockOfADeadHolder: a holder that never unlocks (it died) frees the lock when the TTL ends,
// and its late unlock cannot free the lock another run has taken since.
func TestLockOfADeadHolder(t *testing.T) {
	rdb, prefix := setup(t)
	const ttl = 300 * time.Millisecond
	dead := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix), redistoken.WithLockTTL(ttl))
	live := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix), redistoken.WithLockTTL(time.Minute))

	lateUnlock, err := dead.Lock(t.Context(), cacheKey)
	require.NoError(t, err)
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	unlock, err := live.Lock(ctx, cacheKey)
	require.NoError(t, err, "the dead holder's lock ended with its TTL")
	assert.GreaterOrEqual(t, time.Since(start), ttl-50*time.Millisecond, "not before the TTL")
	defer unlock()

	lateUnlock()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel2()
	_, err = dead.Lock(ctx2, cacheKey)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the late unlock left the live holder's lock alone")
}

func TestLockOneHolderAtATime(t *testing.T) {
	rdb, prefix := setup(t)
	var mu sync.Mutex
	holders, most := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix))
			unlock, err := c.Lock(t.Context(), cacheKey)
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			holders++
			most = max(most, holders)
			mu.Unlock()
			_, _ = c.Load(t.Context(), cacheKey) // a round trip while holding it
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, 1, most)
}

// TestSilentRedis: a Redis that accepts connections and never answers costs each call the
// Cache's timeout, not go-redis's read timeout and retries — with go-redis's defaults, which
// ignore context deadlines on sockets.
func TestSilentRedis(t *testing.T) {
	addr := silentServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr}) // ContextTimeoutEnabled false: the default
	t.Cleanup(func() { _ = rdb.Close() })
	assertBounded(t, rdb)
}

func TestUnreachableRedis(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // a refused port
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	assertBounded(t, rdb)
}

func assertBounded(t *testing.T, rdb *redis.Client) {
	t.Helper()
	const timeout = 200 * time.Millisecond
	c := redistoken.New(rdb, redistoken.WithTimeout(timeout))
	const bound = timeout + 500*time.Millisecond // scheduling slack under -race
	ctx := t.Context()
	check := func(op string, err error, start time.Time) {
		t.Helper()
		assert.Error(t, err, op)
		assert.Less(t, time.Since(start), bound, op)
		if err != nil {
			assert.NotContains(t, err.Error(), "tok-secret", op)
		}
	}
	start := time.Now()
	_, err := c.Load(ctx, cacheKey)
	check("load", err, start)
	start = time.Now()
	check("store", c.Store(ctx, cacheKey, sampleToken("tok-secret", time.Hour)), start)
	start = time.Now()
	check("drop", c.Drop(ctx, cacheKey, "tok-secret"), start)
	start = time.Now()
	lockCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = c.Lock(lockCtx, cacheKey)
	check("lock", err, start)
}

// silentServer listens on loopback, accepts connections and never answers; the test's end
// closes them all.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
