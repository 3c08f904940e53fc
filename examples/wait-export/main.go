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
	"os"
	"strings"
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

	getenv := os.Getenv
	if *demo {
		srv := atlastest.NewServer(atlastest.WithAutoAdvance(), atlastest.WithTotalCollections(DemoCollections))
		defer srv.Close()
		srv.AddCluster(cli.DemoGroup, cli.DemoCluster)
		getenv = cli.DemoEnv(srv)
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

	client, err := cli.ClientFromEnv(getenv, atlas.WithUserAgent("wait-export-example"))
	if err != nil {
		fmt.Fprintln(stderr, "wait-export:", err)
		return 1
	}
	notFound := "not found: check -group, -cluster and -export"
	if creating {
		notFound = "not found: check -group, -cluster, -snapshot and -bucket"
		job, err := client.Exports.Create(ctx, *group, *cluster,
			&atlas.CreateExportJobRequest{SnapshotID: *snapshot, ExportBucketID: *bucket})
		if err != nil {
			fmt.Fprintln(stderr, "wait-export: creating the export:", cli.Explain(err, notFound))
			return 1
		}
		fmt.Fprintf(stdout, "created export job %s\n", job.ID)
		*export = job.ID
	}

	bar := &progress{w: stdout, tty: isTerminal(stdout)}
	job, err := client.Exports.Wait(ctx, *group, *cluster, *export, &atlas.WaitOptions{
		PollInterval: *interval,
		MaxInterval:  max(atlas.DefaultMaxInterval, *interval),
		MaxWait:      *timeout,
		OnProgress:   bar.update,
	})
	bar.finish()
	if err != nil {
		fmt.Fprintln(stderr, "wait-export:", cli.Explain(err, notFound))
		return 1
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

// isTerminal reports whether w is a terminal (a character device), where a bar can be redrawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// barWidth is the number of cells in the progress bar.
const barWidth = 30

// progress shows a job's progress: a bar redrawn with \r on a terminal, else one plain line
// per change.
type progress struct {
	w     io.Writer
	tty   bool
	last  string // the last status shown
	drawn int    // the length of the bar line on screen, to blank out a longer old one
}

// update shows job; it is Wait's OnProgress.
func (p *progress) update(job *atlas.ExportJob) {
	status := statusLine(job)
	if !p.tty {
		if status != p.last {
			fmt.Fprintln(p.w, status)
		}
		p.last = status
		return
	}
	line := renderBar(job) + " " + status
	pad := max(p.drawn-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.drawn = len(line)
	p.last = status
}

// finish ends the bar's line so that what follows starts on a fresh one.
func (p *progress) finish() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintln(p.w)
		p.drawn = 0
	}
}

// statusLine is "InProgress 3/10 collections", or the state alone when there is no count yet.
func statusLine(job *atlas.ExportJob) string {
	s := string(job.State)
	if s == "" {
		s = "(no state)"
	}
	if st := job.ExportStatus; st != nil && st.TotalCollections > 0 {
		s += fmt.Sprintf(" %d/%d collections", st.ExportedCollections, st.TotalCollections)
	}
	return s
}

// renderBar draws "[#########.....................]  30%" from exportedCollections of
// totalCollections; a successful job is full whatever its counts say.
func renderBar(job *atlas.ExportJob) string {
	frac := 0.0
	if st := job.ExportStatus; st != nil && st.TotalCollections > 0 {
		frac = float64(st.ExportedCollections) / float64(st.TotalCollections)
	}
	if job.State == atlas.ExportStateSuccessful {
		frac = 1
	}
	frac = min(max(frac, 0), 1)
	filled := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), int(frac*100))
}
