// Command wait-export starts a Cloud Backup snapshot export (or takes an existing one) and
// waits for it to finish, drawing a progress bar of the collections exported.
//
//	wait-export -group 32b6e34b3d91647abb20e7b8 -cluster Cluster0 -snapshot ID -bucket ID
//	wait-export -group 32b6e34b3d91647abb20e7b8 -cluster Cluster0 -export ID
//	wait-export -demo
//
// On a terminal the bar is redrawn in place; otherwise (a pipe, a CI log) each change of
// state or count is one plain line, such as "InProgress 3/10 collections". The finished job is
// printed as indented JSON. Credentials come from the environment as for get-export. With
// -demo it runs against the atlastest fake in-process, whose job advances one step per poll.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/examples/internal/cli"
)

func main() { cli.Main(run) }

// The snapshot and bucket the demo exports, and how many collections its job has.
const (
	DemoSnapshot    = "5e4f3a2b1c0d9e8f7a6b5c4d"
	DemoBucket      = "6a7b8c9d0e1f2a3b4c5d6e7f"
	DemoCollections = 10
	demoInterval    = 150 * time.Millisecond
)

// run is the program: 0 when the job succeeded, 1 when it failed or could not be followed,
// 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wait-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	group := fs.String("group", "", "project (group) ID, 24 hex characters")
	cluster := fs.String("cluster", "", "cluster name")
	export := fs.String("export", "", "an existing export job to wait for, instead of creating one")
	snapshot := fs.String("snapshot", "", "the snapshot to export (with -bucket)")
	bucket := fs.String("bucket", "", "the export bucket to write to (with -snapshot)")
	interval := fs.Duration("interval", atlas.DefaultPollInterval, "the wait between polls while the job moves")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: wait until the job ends)")
	demo := fs.Bool("demo", false, "run against an in-process fake Atlas whose job advances on each poll")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: wait-export -group ID -cluster NAME (-snapshot ID -bucket ID | -export ID)\n"+
			"       wait-export -demo\n\n%s\n\n", cli.EnvHelp)
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}

	var srv *atlastest.Server
	if *demo {
		srv = atlastest.NewServer(atlastest.WithAutoAdvance(), atlastest.WithTotalCollections(DemoCollections))
		defer srv.Close()
		srv.AddSnapshot(cli.DemoGroup, cli.DemoCluster, &atlas.Snapshot{ID: DemoSnapshot, Status: atlas.SnapshotStatusCompleted})
		srv.AddExportBucket(cli.DemoGroup, &atlas.ExportBucket{ID: DemoBucket, CloudProvider: atlas.CloudProviderAWS,
			BucketName: "demo-exports", IAMRoleID: "5f4007f327a3bd7b6f4103c5"})
		if *group == "" && *cluster == "" {
			*group, *cluster = cli.DemoGroup, cli.DemoCluster
		}
		if *export == "" && *snapshot == "" && *bucket == "" {
			*snapshot, *bucket = DemoSnapshot, DemoBucket
		}
		if !flagSet(fs, "interval") {
			*interval = demoInterval
		}
	}
	creating := *snapshot != "" || *bucket != ""
	switch {
	case *group == "" || *cluster == "" || fs.NArg() > 0:
		return usage(fs, stderr, "-group and -cluster are required")
	case creating && *export != "":
		return usage(fs, stderr, "give either -export or -snapshot and -bucket, not both")
	case creating && (*snapshot == "" || *bucket == ""):
		return usage(fs, stderr, "-snapshot and -bucket go together")
	case !creating && *export == "":
		return usage(fs, stderr, "give -export, or -snapshot and -bucket to start an export")
	}

	client, err := cli.Client(srv, atlas.WithUserAgent("wait-export-example"))
	if err != nil {
		fmt.Fprintln(stderr, "wait-export:", err)
		return 1
	}
	if creating {
		job, err := client.Exports.Create(ctx, *group, *cluster,
			&atlas.CreateExportJobRequest{SnapshotID: *snapshot, ExportBucketID: *bucket})
		if err != nil {
			return cli.Fail(stderr, "wait-export", "creating the export", err, "-group, -cluster, -snapshot and -bucket")
		}
		fmt.Fprintf(stdout, "created export job %s\n", job.ID)
		*export = job.ID
	}

	bar := cli.NewProgress(stdout)
	job, err := client.Exports.Wait(ctx, *group, *cluster, *export, &atlas.WaitOptions{
		PollInterval: *interval,
		MaxInterval:  max(atlas.DefaultMaxInterval, *interval),
		MaxWait:      *timeout,
		OnProgress:   bar.Job,
	})
	bar.Finish()
	if err != nil {
		return cli.Fail(stderr, "wait-export", "", err, "-group, -cluster and -export")
	}
	if err := cli.PrintJSON(stdout, job); err != nil {
		fmt.Fprintln(stderr, "wait-export:", err)
		return 1
	}
	return 0
}

// usage reports a usage error and returns its exit code.
func usage(fs *flag.FlagSet, stderr io.Writer, problem string) int {
	fmt.Fprintln(stderr, "wait-export:", problem)
	fs.Usage()
	return 2
}

// flagSet reports whether the command line set the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
