package atlastest

import (
	"time"

	"github.com/atlas-exports/atlas"
)

// Client returns an SDK client wired to the server: its URL, its service account, and retries
// that wait a millisecond or a few instead of the SDK's default half a second and more, so that
// a test with injected 503s takes milliseconds. opts come after and override these; a test
// of digest or of a bearer token builds its client with atlas.NewClient instead, since a
// client takes exactly one auth option.
func (s *Server) Client(opts ...atlas.Option) (*atlas.Client, error) {
	return atlas.NewClient(append([]atlas.Option{
		atlas.WithBaseURL(s.URL),
		atlas.WithServiceAccount(s.cfg.clientID, s.cfg.clientSecret),
		atlas.WithRetry(atlas.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}),
	}, opts...)...)
}

// NewID returns a fresh random id of 24 lowercase hexadecimal digits, the shape of the ids of
// Atlas projects, snapshots, buckets and export jobs.
func NewID() string {
	return newObjectID()
}
