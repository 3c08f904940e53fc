// Command export-snapshot exports a Cloud Backup snapshot to an export bucket, at most once,
// and waits for the export to finish: the nightly "export last night's snapshot" job.
//
//	export-snapshot -group ID -cluster NAME -bucket ID -latest
//	export-snapshot -group ID -cluster NAME -bucket ID -snapshot ID
//	export-snapshot -group ID -cluster NAME -bucket ID -take
//	export-snapshot -demo
//
// -latest exports the newest completed snapshot, -take takes an on-demand snapshot and waits
// for it first, -snapshot names one. The export is ensured (ExportsService.Ensure): run again
// after an interruption, it follows the export already started instead of starting another.
// Progress is drawn as by wait-export. Credentials come from the environment as
// atlas.NewClientFromEnv reads it. With -demo it runs the whole flow against the atlastest fake
// in-process: it creates a bucket, takes a snapshot, exports it, and prints each step.
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

// demoInterval is how often the demo polls; the fake moves one step per poll.
const demoInterval = 100 * time.Millisecond

// flags are the program's options.
type flags struct {
	group, cluster, bucket, snapshot string
	latest, take, demo               bool
	interval, timeout                time.Duration
}

// run is the program: 0 when the export succeeded, 1 when it failed or could not be
// followed, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export-snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f flags
	fs.StringVar(&f.group, "group", "", "project (group) ID, 24 hex characters")
	fs.StringVar(&f.cluster, "cluster", "", "cluster name")
	fs.StringVar(&f.bucket, "bucket", "", "the export bucket to write to, 24 hex characters")
	fs.StringVar(&f.snapshot, "snapshot", "", "the completed snapshot to export")
	fs.BoolVar(&f.latest, "latest", false, "export the newest completed snapshot")
	fs.BoolVar(&f.take, "take", false, "take an on-demand snapshot, wait for it, and export it")
	fs.DurationVar(&f.interval, "interval", atlas.DefaultPollInterval, "the wait between polls while something moves")
	fs.DurationVar(&f.timeout, "timeout", 0, "give up after this long (0: wait until the export ends)")
	fs.BoolVar(&f.demo, "demo", false, "run the whole flow against an in-process fake Atlas")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: export-snapshot -group ID -cluster NAME -bucket ID (-snapshot ID | -latest | -take)\n"+
			"       export-snapshot -demo\n\n%s\n\n", cli.EnvHelp)
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if f.demo {
		return runDemo(ctx, f, stdout, stderr)
	}
	choices := 0
	for _, set := range []bool{f.snapshot != "", f.latest, f.take} {
		if set {
			choices++
		}
	}
	switch {
	case f.group == "" || f.cluster == "" || f.bucket == "" || fs.NArg() > 0:
		return usage(fs, stderr, "-group, -cluster and -bucket are required")
	case choices != 1:
		return usage(fs, stderr, "give exactly one of -snapshot ID, -latest and -take")
	}
	client, err := cli.Client(nil, atlas.WithUserAgent("export-snapshot-example"))
	if err != nil {
		fmt.Fprintln(stderr, "export-snapshot:", err)
		return 1
	}
	return export(ctx, client, f, stdout, stderr)
}

// export is the flow once the bucket is known: pick or take the snapshot, ensure the export,
// wait for it.
func export(ctx context.Context, client *atlas.Client, f flags, stdout, stderr io.Writer) int {
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	fail := func(step string, err error) int {
		return cli.Fail(stderr, "export-snapshot", step, err, "-group, -cluster, -bucket and -snapshot")
	}
	switch {
	case f.latest:
		snap, err := client.Snapshots.Latest(ctx, f.group, f.cluster)
		if err != nil {
			return fail("finding the latest snapshot", err)
		}
		f.snapshot = snap.ID
		fmt.Fprintf(stdout, "latest completed snapshot: %s, taken %s\n", snap.ID, snap.CreatedAt.Format(time.RFC3339))
	case f.take:
		snap, err := client.Snapshots.Take(ctx, f.group, f.cluster, &atlas.TakeSnapshotRequest{Description: "export-snapshot", RetentionInDays: 1})
		if err != nil {
			return fail("taking a snapshot", err)
		}
		fmt.Fprintf(stdout, "took snapshot %s\n", snap.ID)
		bar := cli.NewProgress(stdout)
		snap, err = client.Snapshots.Wait(ctx, f.group, f.cluster, snap.ID, &atlas.SnapshotWaitOptions{
			PollInterval: f.interval, MaxInterval: max(atlas.DefaultMaxInterval, f.interval), OnProgress: bar.Snapshot,
		})
		bar.Finish()
		if err != nil {
			return fail("waiting for the snapshot", err)
		}
		f.snapshot = snap.ID
	}
	job, err := client.Exports.Ensure(ctx, f.group, f.cluster, &atlas.CreateExportJobRequest{SnapshotID: f.snapshot, ExportBucketID: f.bucket})
	if err != nil {
		return fail("starting the export", err)
	}
	fmt.Fprintf(stdout, "export job %s (%s)\n", job.ID, job.State)
	bar := cli.NewProgress(stdout)
	job, err = client.Exports.Wait(ctx, f.group, f.cluster, job.ID, &atlas.WaitOptions{
		PollInterval: f.interval, MaxInterval: max(atlas.DefaultMaxInterval, f.interval), OnProgress: bar.Job,
	})
	bar.Finish()
	if err != nil {
		return fail("waiting for the export", err)
	}
	fmt.Fprintf(stdout, "exported to %s\n", job.Prefix)
	return 0
}

// runDemo runs the whole flow against a fake Atlas: a bucket is created, a snapshot taken and
// exported.
func runDemo(ctx context.Context, f flags, stdout, stderr io.Writer) int {
	srv := atlastest.NewServer(atlastest.WithAutoAdvance())
	defer srv.Close()
	srv.AddCluster(cli.DemoGroup, cli.DemoCluster)
	client, err := cli.Client(srv, atlas.WithUserAgent("export-snapshot-example"))
	if err != nil {
		fmt.Fprintln(stderr, "export-snapshot:", err)
		return 1
	}
	fmt.Fprintf(stdout, "fake Atlas at %s, project %s, cluster %s\n", srv.URL, cli.DemoGroup, cli.DemoCluster)
	bucket, err := client.ExportBuckets.Create(ctx, cli.DemoGroup, &atlas.CreateExportBucketRequest{
		CloudProvider: atlas.CloudProviderAWS, BucketName: "nightly-exports", IAMRoleID: "5f4007f327a3bd7b6f4103c5",
	})
	if err != nil {
		return cli.Fail(stderr, "export-snapshot", "creating the bucket", err, "")
	}
	fmt.Fprintf(stdout, "created export bucket %s (%s %s)\n", bucket.ID, bucket.CloudProvider, bucket.BucketName)
	f.group, f.cluster, f.bucket, f.take = cli.DemoGroup, cli.DemoCluster, bucket.ID, true
	if f.interval == atlas.DefaultPollInterval {
		f.interval = demoInterval
	}
	return export(ctx, client, f, stdout, stderr)
}

// usage reports a usage error and returns its exit code.
func usage(fs *flag.FlagSet, stderr io.Writer, problem string) int {
	fmt.Fprintln(stderr, "export-snapshot:", problem)
	fs.Usage()
	return 2
}
