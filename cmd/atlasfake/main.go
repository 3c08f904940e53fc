// Command atlasfake serves the atlastest fake of the Atlas Administration API's Cloud Backup
// export workflow (export jobs, export buckets, snapshots) as a standalone server, for trying
// a client by hand or from another language.
//
// Usage:
//
//	atlasfake [-addr 127.0.0.1:8080] [-auth oauth|digest] [-env-file PATH] [-jobs FILE] [-snapshots FILE] [-buckets FILE] [-auto-advance] [-step 10s] [flags]
//
// Once listening, it prints what a client needs to standard output, one KEY='value' line each,
// under the names atlas.NewClientFromEnv reads: MONGODB_ATLAS_BASE_URL, one credential pair
// chosen by -auth (oauth, the default: MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET;
// digest: MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY) and
// MONGODB_ATLAS_PROJECT_ID (the first seeded project, or else a new one with a cluster
// Cluster0). With -env-file PATH it also writes those lines to PATH, atomically and with mode
// 0600, so that a script can wait for PATH to exist and then load it with `set -a; . PATH`;
// it removes PATH when it stops. Then it prints one line per seeded resource with the URL to
// GET it (EXPORT_JOB=, SNAPSHOT=, EXPORT_BUCKET=), and serves until SIGINT or SIGTERM, when it
// finishes the requests in flight and exits 0. -addr 127.0.0.1:0 picks a free port. It
// listens only on loopback addresses unless -allow-remote is given: the fake's credentials
// are printed, not secret.
//
// Creating an export job needs a completed snapshot of the cluster and an export bucket of the
// project, as in Atlas; seed them, or pass -lenient-exports to accept any ids.
//
// The seed files each hold a JSON array. Each -jobs element names a project and a cluster and
// may carry one job in the API's DiskBackupExportJob form (an empty id gets a fresh one); an
// element without a job just makes the cluster exist. Each -snapshots element names a project
// and a cluster and may carry a snapshot in the API's form (defaults: a completed replica-set
// snapshot); "type": "shardedCluster" makes it a sharded-cluster one. Each -buckets element
// names a project and may carry an export bucket in the API's form, its id as "_id"
// (defaults: an AWS bucket). For example:
//
//	-jobs:      [{"groupId": "5f4d3c2b1a0f9e8d7c6b5a49", "clusterName": "Cluster0"},
//	             {"groupId": "5f4d3c2b1a0f9e8d7c6b5a49", "clusterName": "Cluster0",
//	              "job": {"id": "6a1b2c3d4e5f60718293a4b5", "exportBucketId": "7b2c3d4e5f60718293a4b5c6",
//	                      "snapshotId": "8c3d4e5f60718293a4b5c6d7", "state": "Queued",
//	                      "exportStatus": {"exportedCollections": 0, "totalCollections": 3}}}]
//	-snapshots: [{"groupId": "5f4d3c2b1a0f9e8d7c6b5a49", "clusterName": "Cluster0",
//	              "snapshot": {"id": "8c3d4e5f60718293a4b5c6d7", "status": "completed"}}]
//	-buckets:   [{"groupId": "5f4d3c2b1a0f9e8d7c6b5a49",
//	              "exportBucket": {"_id": "7b2c3d4e5f60718293a4b5c6", "cloudProvider": "AWS",
//	                               "bucketName": "export-bucket", "iamRoleId": "668c5f0ed436263134491592"}}]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/loopback"
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
	auth := fs.String("auth", "oauth", "credential pair to announce: oauth (service account) or digest (API key)")
	envFile := fs.String("env-file", "", "once listening, write the MONGODB_ATLAS_* variables to `path` (removed on exit)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr (the credentials are printed, not secret)")
	jobsFile := fs.String("jobs", "", "JSON `file` of projects, clusters and jobs to seed (see the package docs)")
	snapshotsFile := fs.String("snapshots", "", "JSON `file` of snapshots to seed (see the package docs)")
	bucketsFile := fs.String("buckets", "", "JSON `file` of export buckets to seed (see the package docs)")
	lenientExports := fs.Bool("lenient-exports", false, "create export jobs for any snapshot and bucket ids, seeded or not")
	autoAdvance := fs.Bool("auto-advance", false, "advance a job or snapshot one step each time it is fetched")
	step := fs.Duration("step", 0, "advance unfinished jobs and snapshots one step per `interval` of wall-clock time (0: off)")
	totalCollections := fs.Int("collections", 3, "totalCollections of jobs created through the API")
	publicKey := fs.String("public-key", "", "API public key to accept (default: generated)")
	privateKey := fs.String("private-key", "", "API private key to accept (default: generated)")
	clientID := fs.String("client-id", "", "service account client id to accept (default: generated)")
	clientSecret := fs.String("client-secret", "", "service account client secret to accept (default: generated)")
	tokenLifetime := fs.Duration("token-lifetime", time.Hour, "lifetime of granted access tokens")
	ratePerSecond := fs.Float64("rate", 0, "API requests per second the rate limiter refills (0: no limit)")
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
	if *auth != "oauth" && *auth != "digest" {
		fmt.Fprintf(stderr, "atlasfake: -auth must be oauth or digest, not %q\n", *auth)
		return exitUsage
	}
	if *totalCollections < 0 || *totalCollections > 1<<31-1 {
		fmt.Fprintln(stderr, "atlasfake: -collections must be a non-negative int32")
		return exitUsage
	}
	seeds, err := readSeeds(*jobsFile, *snapshotsFile, *bucketsFile)
	if err != nil {
		fmt.Fprintf(stderr, "atlasfake: %v\n", err)
		return exitError
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
	if *lenientExports {
		opts = append(opts, atlastest.WithLenientExports())
	}
	if *ratePerSecond > 0 {
		opts = append(opts, atlastest.WithRateLimit(rate.Limit(*ratePerSecond), *burst))
	}
	srv := atlastest.NewServer(opts...)
	// Seed before announcing the URL: whoever reads it may call at once.
	var seeded bytes.Buffer
	seeds.apply(srv, &seeded)
	env := shellLines(environment(srv, *auth, defaultProject(srv, seeds)))
	if *envFile != "" {
		if err := writeEnvFile(*envFile, env); err != nil {
			fmt.Fprintf(stderr, "atlasfake: %v\n", err)
			srv.Close()
			return exitError
		}
		defer os.Remove(*envFile)
	}
	fmt.Fprintf(stdout, "%s%s", env, seeded.Bytes())
	fmt.Fprintf(stderr, "atlasfake: serving %s with %d seeded entries; interrupt to stop\n", srv.URL, seeds.count())

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
