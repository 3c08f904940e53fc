package atlastest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// memCache is an in-memory atlas.TokenCache; its broken switches each break one rule.
type memCache struct {
	mu     sync.Mutex
	tokens map[string]atlas.CachedToken
	locks  map[string]chan struct{}

	dropAny, lockTwice bool
}

func (m *memCache) Load(_ context.Context, key string) (*atlas.CachedToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tokens[key]; ok {
		return &t, nil
	}
	return nil, nil
}

func (m *memCache) Store(_ context.Context, key string, tok *atlas.CachedToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = *tok
	return nil
}

func (m *memCache) Drop(_ context.Context, key, accessToken string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tokens[key]; ok && (m.dropAny || t.AccessToken == accessToken) {
		delete(m.tokens, key)
	}
	return nil
}

func (m *memCache) Lock(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	held, ok := m.locks[key]
	if !ok {
		held = make(chan struct{}, 1)
		m.locks[key] = held
	}
	m.mu.Unlock()
	if m.lockTwice {
		return func() {}, nil
	}
	select {
	case held <- struct{}{}:
		return func() { <-held }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func newMemCache() *memCache {
	return &memCache{tokens: map[string]atlas.CachedToken{}, locks: map[string]chan struct{}{}}
}

func TestTokenCacheSuite(t *testing.T) {
	t.Parallel()
	assert.NoError(t, atlastest.TestTokenCache(newMemCache()), "a cache that keeps the contract")

	dropsAny := newMemCache()
	dropsAny.dropAny = true
	assert.ErrorContains(t, atlastest.TestTokenCache(dropsAny), "Load after Drop of another token")

	locksTwice := newMemCache()
	locksTwice.lockTwice = true
	assert.ErrorContains(t, atlastest.TestTokenCache(locksTwice), "Lock of a held key: taken twice")
}
