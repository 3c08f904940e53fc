package bench

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mongodb-forks/digest"
	"go.mongodb.org/atlas/mongodbatlas"

	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// v2Rewrite maps the legacy client's v1.0 paths to the v2 paths the fake serves. It sits
// above the digest transport, so the digest uri is the one that is sent. Its cost (one
// shallow request and URL copy per call) is counted against the legacy client; it is small
// beside a round trip and is stated in the README.
type v2Rewrite struct{ next http.RoundTripper }

func (t v2Rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r2 := *req
	u := *req.URL
	u.Path = strings.Replace(u.Path, "/api/atlas/v1.0/", "/api/atlas/v2/", 1)
	r2.URL = &u
	return t.next.RoundTrip(&r2)
}

// newLegacy builds the legacy official client (go.mongodb.org/atlas) with digest through
// github.com/mongodb-forks/digest on base. Bounded, its calls have the floor's Timeout
// (floorClient), so that every client compared does the same job; unbounded, it is as its
// README builds it, with no timeout.
func newLegacy(tb testing.TB, base http.RoundTripper, bounded bool) *mongodbatlas.Client {
	tb.Helper()
	rt := v2Rewrite{next: digest.NewTransportWithHTTPRoundTripper(fake.PublicKey, fake.PrivateKey, base)}
	hc := &http.Client{Transport: rt}
	if bounded {
		hc = floorClient(rt)
	}
	c, err := mongodbatlas.New(hc, mongodbatlas.SetBaseURL(fake.URL+"/"))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// legacyGetter returns a Get of the seeded job through a new bounded legacy client on base.
func legacyGetter(tb testing.TB, base http.RoundTripper) func(context.Context) error {
	return legacyGet(newLegacy(tb, base, true))
}

// legacyGet returns a Get of the seeded job through c.
func legacyGet(c *mongodbatlas.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, _, err := c.CloudProviderSnapshotExportJobs.Get(ctx, fakeproc.GroupID, fakeproc.Cluster, fakeproc.ExportID)
		return err
	}
}
