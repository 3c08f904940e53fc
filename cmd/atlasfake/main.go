// Command atlasfake serves the atlastest fake of the Atlas Administration API's snapshot export
// job endpoints as a standalone server, for trying a client by hand or from another language.
//
// Usage:
//
//	atlasfake [-addr 127.0.0.1:8080] [-jobs FILE.json] [-auto-advance] [-step 10s] [flags]
//
// It prints the base URL and the credentials it accepts to standard output, one NAME=value per
// line (URL, PUBLIC_KEY, PRIVATE_KEY, CLIENT_ID, CLIENT_SECRET), then serves until SIGINT or
// SIGTERM, when it finishes the requests in flight and exits 0. It listens only on loopback
// addresses unless -allow-remote is given: the fake's credentials are printed, not secret.
//
// The -jobs file seeds projects, clusters and jobs. It holds a JSON array; each element names a
// project and a cluster and may carry one job in the API's DiskBackupExportJob form (an empty
// id gets a fresh one). An element without a job just makes the cluster exist:
//
//	[
//	  {"groupId": "5f4d3c2b1a0f9e8d7c6b5a49", "clusterName": "Cluster0"},
//	  {"groupId": "5f4d3c2b1a0f9e8d7c6b5a49", "clusterName": "Cluster0",
//	   "job": {"id": "6a1b2c3d4e5f60718293a4b5", "exportBucketId": "7b2c3d4e5f60718293a4b5c6",
//	           "snapshotId": "8c3d4e5f60718293a4b5c6d7", "state": "Queued",
//	           "exportStatus": {"exportedCollections": 0, "totalCollections": 3}}}
//	]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/loopback"
	"github.com/atlas-exports/atlas/internal/pattern"
	"golang.org/x/time/rate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes: 2 for a usage error, 1 when the server cannot start.
const (
	exitUsage = 2
	exitError = 1
)

// shutdownGrace is how long requests in flight may take to finish after a signal.
const shutdownGrace = 5 * time.Second

// run is the program without the process: it serves until ctx ends and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("atlasfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on (port 0 picks a free port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr (the credentials are printed, not secret)")
	jobsFile := fs.String("jobs", "", "JSON `file` of projects, clusters and jobs to seed (see the package docs)")
	autoAdvance := fs.Bool("auto-advance", false, "advance a job one step each time it is fetched")
	step := fs.Duration("step", 0, "advance unfinished jobs one step per `interval` of wall-clock time (0: off)")
	totalCollections := fs.Int("collections", 3, "totalCollections of jobs created through the API")
	publicKey := fs.String("public-key", "", "API public key to accept (default: generated)")
	privateKey := fs.String("private-key", "", "API private key to accept (default: generated)")
	clientID := fs.String("client-id", "", "service account client id to accept (default: generated)")
	clientSecret := fs.String("client-secret", "", "service account client secret to accept (default: generated)")
	tokenLifetime := fs.Duration("token-lifetime", time.Hour, "lifetime of granted access tokens")
	ratePerSecond := fs.Float64("rate", 0, "export-job requests per second the rate limiter refills (0: no limit)")
	burst := fs.Int("burst", 100, "size of the rate limiter's bucket, with -rate")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "atlasfake: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if !*allowRemote && !loopback.Addr(*addr) {
		fmt.Fprintf(stderr, "atlasfake: %s is not a loopback address; pass -allow-remote to serve on it anyway\n", *addr)
		return exitUsage
	}
	if *totalCollections < 0 || *totalCollections > 1<<31-1 {
		fmt.Fprintln(stderr, "atlasfake: -collections must be a non-negative int32")
		return exitUsage
	}
	var seeds []seed
	if *jobsFile != "" {
		var err error
		if seeds, err = readSeeds(*jobsFile); err != nil {
			fmt.Fprintf(stderr, "atlasfake: %v\n", err)
			return exitError
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "atlasfake: %v\n", err)
		return exitError
	}

	opts := []atlastest.Option{
		atlastest.WithListener(ln),
		atlastest.WithTokenLifetime(*tokenLifetime),
		atlastest.WithStepInterval(*step),
		atlastest.WithTotalCollections(int32(*totalCollections)),
	}
	if *publicKey != "" || *privateKey != "" {
		opts = append(opts, atlastest.WithAPIKey(*publicKey, *privateKey))
	}
	if *clientID != "" || *clientSecret != "" {
		opts = append(opts, atlastest.WithServiceAccount(*clientID, *clientSecret))
	}
	if *autoAdvance {
		opts = append(opts, atlastest.WithAutoAdvance())
	}
	if *ratePerSecond > 0 {
		opts = append(opts, atlastest.WithRateLimit(rate.Limit(*ratePerSecond), *burst))
	}
	srv := atlastest.NewServer(opts...)
	for _, s := range seeds {
		if s.Job == nil {
			srv.AddCluster(s.GroupID, s.ClusterName)
			continue
		}
		srv.AddExportJob(s.GroupID, s.ClusterName, s.Job)
	}

	fmt.Fprintf(stdout, "URL=%s\nPUBLIC_KEY=%s\nPRIVATE_KEY=%s\nCLIENT_ID=%s\nCLIENT_SECRET=%s\n",
		srv.URL, srv.PublicKey, srv.PrivateKey, srv.ClientID, srv.ClientSecret)
	fmt.Fprintf(stderr, "atlasfake: serving %s with %d seeded entries; interrupt to stop\n", srv.URL, len(seeds))

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "atlasfake: requests still running at shutdown: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stderr, "atlasfake: stopped")
	return 0
}

// seed is one element of the -jobs file.
type seed struct {
	GroupID     string           `json:"groupId"`
	ClusterName string           `json:"clusterName"`
	Job         *atlas.ExportJob `json:"job,omitempty"`
}

// readSeeds reads and checks the -jobs file. Unknown fields are errors, so a typo does not
// silently seed a job without the field.
func readSeeds(path string) ([]seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var seeds []seed
	if err := dec.Decode(&seeds); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for i, s := range seeds {
		if !pattern.ObjectID.MatchString(s.GroupID) {
			errs = append(errs, fmt.Errorf("%s: entry %d: groupId %q is not 24 hexadecimal digits", path, i, s.GroupID))
		}
		if !pattern.ClusterName.MatchString(s.ClusterName) {
			errs = append(errs, fmt.Errorf("%s: entry %d: clusterName %q breaks ^[a-zA-Z0-9][a-zA-Z0-9-]*$", path, i, s.ClusterName))
		}
		if s.Job != nil && s.Job.ID != "" && !pattern.ObjectID.MatchString(s.Job.ID) {
			errs = append(errs, fmt.Errorf("%s: entry %d: job id %q is not 24 hexadecimal digits", path, i, s.Job.ID))
		}
	}
	return seeds, errors.Join(errs...)
}
