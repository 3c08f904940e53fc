package atlastest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atlas-exports/atlas"
)

// TestTokenCache checks that cache keeps the atlas.TokenCache contract a client relies on, as
// testing/fstest.TestFS checks a file system: Load of an unknown key finds nothing; Store then
// Load gives the token back; Store replaces; Drop removes only the token it names; Lock
// excludes a second holder until unlocked, and a wait for it ends with its context; every
// method returns at once when its context has already ended. It uses two keys of its own and
// leaves them empty and unlocked. It returns the first broken rule, or nil.
func TestTokenCache(cache atlas.TokenCache) error {
	ctx := context.Background()
	key := fmt.Sprintf("%064x", time.Now().UnixNano())
	other := fmt.Sprintf("%064x", time.Now().UnixNano()+1)
	granted := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	first := &atlas.CachedToken{AccessToken: "atlastest-first", GrantedAt: granted, Expiry: granted.Add(time.Hour)}
	second := &atlas.CachedToken{AccessToken: "atlastest-second", GrantedAt: granted, Expiry: granted.Add(time.Hour)}

	if tok, err := cache.Load(ctx, other); err != nil || tok != nil {
		return fmt.Errorf("token cache: Load of an unknown key: got a token or %v, want nil and no error", err)
	}
	loads := func(want *atlas.CachedToken, after string) error {
		tok, err := cache.Load(ctx, key)
		switch {
		case err != nil:
			return fmt.Errorf("token cache: Load after %s: %w", after, err)
		case want == nil && tok != nil:
			return fmt.Errorf("token cache: Load after %s: got a token, want none", after)
		case want != nil && (tok == nil || tok.AccessToken != want.AccessToken ||
			!tok.GrantedAt.Equal(want.GrantedAt) || !tok.Expiry.Equal(want.Expiry)):
			return fmt.Errorf("token cache: Load after %s: got another token than the one stored, or other times", after)
		}
		return nil
	}
	steps := []struct {
		after string
		do    func() error
		want  *atlas.CachedToken
	}{
		{"Store", func() error { return cache.Store(ctx, key, first) }, first},
		{"a second Store", func() error { return cache.Store(ctx, key, second) }, second},
		{"Drop of another token", func() error { return cache.Drop(ctx, key, first.AccessToken) }, second},
		{"Drop of the stored token", func() error { return cache.Drop(ctx, key, second.AccessToken) }, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("token cache: %s: %w", s.after, err)
		}
		if err := loads(s.want, s.after); err != nil {
			return err
		}
	}

	unlock, err := cache.Lock(ctx, key)
	if err != nil {
		return fmt.Errorf("token cache: Lock of a free key: %w", err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if again, err := cache.Lock(short, key); err == nil {
		again()
		unlock()
		return errors.New("token cache: Lock of a held key: taken twice")
	}
	unlock()
	if unlock, err = cache.Lock(ctx, key); err != nil {
		return fmt.Errorf("token cache: Lock once unlocked: %w", err)
	}
	unlock()

	ended, end := context.WithCancel(ctx)
	end()
	for name, call := range map[string]func() error{
		"Load":  func() error { _, err := cache.Load(ended, other); return err },
		"Store": func() error { return cache.Store(ended, other, first) },
		"Drop":  func() error { return cache.Drop(ended, other, first.AccessToken) },
		"Lock": func() error {
			unlock, err := cache.Lock(ended, other)
			if unlock != nil {
				unlock()
			}
			return err
		},
	} {
		start := time.Now()
		_ = call() // an error or not: what counts is that it returns
		if took := time.Since(start); took > time.Second {
			return fmt.Errorf("token cache: %s with an ended context: returned after %v, want at once", name, took)
		}
	}
	return nil
}
