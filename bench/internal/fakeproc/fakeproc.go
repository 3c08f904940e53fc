// Package fakeproc runs the atlastest fake as the benchmarks' server process: it seeds the
// jobs the benchmarks read, counts accepted TCP connections, prints how to reach it as one
// JSON line, and serves counters on a second loopback port so that reading them never
// touches the connections being measured. It is not a second fake: every API answer comes
// from atlastest.
package fakeproc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"golang.org/x/time/rate"
)

// Seeded data: one project with a cluster holding the job that Get benchmarks read, and a
// cluster holding PageJobs jobs for the page benchmarks.
const (
	GroupID     = "5f1e2d3c4b5a697887766554"
	Cluster     = "bench-cluster"
	ExportID    = "6a0b1c2d3e4f5a6b7c8d9e0f"
	PageCluster = "page-cluster"
	PageJobs    = 500
)

// Info is the first line the process prints on stdout.
type Info struct {
	URL          string `json:"url"`
	ControlURL   string `json:"controlUrl"`
	PublicKey    string `json:"publicKey"`
	PrivateKey   string `json:"privateKey"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// Stats are the server's counters since the last reset.
type Stats struct {
	Conns      int `json:"conns"`      // TCP connections accepted
	Requests   int `json:"requests"`   // HTTP requests, every route
	Challenges int `json:"challenges"` // digest challenges sent
	Grants     int `json:"grants"`     // OAuth tokens granted
}

// Sub returns s minus an earlier reading.
func (s Stats) Sub(old Stats) Stats {
	return Stats{s.Conns - old.Conns, s.Requests - old.Requests, s.Challenges - old.Challenges, s.Grants - old.Grants}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Job returns the fully populated job the fake serves for id: every field set, as a finished
// export looks.
func Job(id string, i int) *atlas.ExportJob {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return &atlas.ExportJob{
		ID:             id,
		SnapshotID:     "64b1c2d3e4f5a6b7c8d9e0f1",
		ExportBucketID: "64b1c2d3e4f5a6b7c8d9e0f2",
		Prefix:         "/exports/bench-cluster/2026-01-02T0304Z",
		State:          atlas.ExportStateSuccessful,
		ExportStatus:   &atlas.ExportStatus{ExportedCollections: 12, TotalCollections: 12},
		CreatedAt:      created,
		FinishedAt:     created.Add(17 * time.Minute),
		Components: []atlas.ExportComponent{
			{ExportID: "64b1c2d3e4f5a6b7c8d9e0a1", ReplicaSetName: "atlas-abc123-shard-0"},
			{ExportID: "64b1c2d3e4f5a6b7c8d9e0a2", ReplicaSetName: "atlas-abc123-shard-1"},
		},
		CustomData: []atlas.Label{{Key: "team", Value: "payments"}, {Key: "env", Value: "prod"}},
	}
}

// Run serves until stdin reaches EOF (the parent closed it or died), then stops.
func Run(stdin io.Reader, stdout io.Writer) error {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ln := &countingListener{Listener: raw}
	// Atlas's token limits (ten grants a minute, 100 live tokens) are off: GetCold grants a
	// token per call, thousands a run, and would otherwise measure the fake's Retry-After.
	srv := atlastest.NewServer(atlastest.WithListener(ln),
		atlastest.WithTokenRateLimit(rate.Inf, 0), atlastest.WithLiveTokenLimit(0))
	defer srv.Close()

	srv.AddExportJob(GroupID, Cluster, Job(ExportID, 0))
	for i := range PageJobs {
		srv.AddExportJob(GroupID, PageCluster, Job(fmt.Sprintf("%024x", 0xb0000+i), i))
	}

	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	read := func() Stats {
		return Stats{
			Conns:      int(ln.n.Load()),
			Requests:   srv.Requests(""),
			Challenges: srv.DigestChallenges(),
			Grants:     srv.TokenGrants(),
		}
	}
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(read())
	})
	ctlSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = ctlSrv.Serve(ctl) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = ctlSrv.Shutdown(ctx)
	}()

	info := Info{
		URL:          srv.URL,
		ControlURL:   "http://" + ctl.Addr().String(),
		PublicKey:    srv.PublicKey,
		PrivateKey:   srv.PrivateKey,
		ClientID:     srv.ClientID,
		ClientSecret: srv.ClientSecret,
	}
	if err := json.NewEncoder(stdout).Encode(info); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin)
	return nil
}
