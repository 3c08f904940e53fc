// Command get-export prints one Cloud Backup snapshot export job as indented JSON.
//
//	get-export -group 32b6e34b3d91647abb20e7b8 -cluster Cluster0 -export 5f4007f327a3bd7b6f4103c5
//	get-export -demo
//
// Credentials come from the environment as atlas.NewClientFromEnv reads it (the Atlas CLI's
// variables: MONGODB_ATLAS_CLIENT_ID and _CLIENT_SECRET for a service account,
// MONGODB_ATLAS_PUBLIC_KEY and _PRIVATE_KEY for an API key); MONGODB_ATLAS_BASE_URL overrides
// the API's address. With -demo it starts the atlastest fake
// in-process with one job and runs the same code against it, with the fake's API key.
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

// DemoExport is the id of the job the -demo fake holds.
const DemoExport = "5f4007f327a3bd7b6f4103c5"

// run is the program: 0 on success, 1 when the job could not be read, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("get-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	group := fs.String("group", "", "project (group) ID, 24 hex characters")
	cluster := fs.String("cluster", "", "cluster name")
	export := fs.String("export", "", "export job ID, 24 hex characters")
	demo := fs.Bool("demo", false, "run against an in-process fake Atlas holding one job")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: get-export -group ID -cluster NAME -export ID\n       get-export -demo\n\n%s\n\n", cli.EnvHelp)
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}

	var srv *atlastest.Server
	if *demo {
		srv = demoServer()
		defer srv.Close()
		*group, *cluster, *export = or(*group, cli.DemoGroup), or(*cluster, cli.DemoCluster), or(*export, DemoExport)
	}
	if *group == "" || *cluster == "" || *export == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "get-export: -group, -cluster and -export are required")
		fs.Usage()
		return 2
	}

	client, err := cli.Client(srv, atlas.WithUserAgent("get-export-example"))
	if err != nil {
		fmt.Fprintln(stderr, "get-export:", err)
		return 1
	}
	job, err := client.Exports.Get(ctx, *group, *cluster, *export)
	if err != nil {
		return cli.Fail(stderr, "get-export", "", err, "-group, -cluster and -export")
	}
	if err := cli.PrintJSON(stdout, job); err != nil {
		fmt.Fprintln(stderr, "get-export:", err)
		return 1
	}
	return 0
}

// demoServer starts a fake Atlas holding one finished export job.
func demoServer() *atlastest.Server {
	srv := atlastest.NewServer()
	created := time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)
	srv.AddExportJob(cli.DemoGroup, cli.DemoCluster, &atlas.ExportJob{
		ID:             DemoExport,
		SnapshotID:     "5e4f3a2b1c0d9e8f7a6b5c4d",
		ExportBucketID: "6a7b8c9d0e1f2a3b4c5d6e7f",
		Prefix:         "/exported_snapshots/5c8b1b2bd5b7e1a2b3c4d5e6/" + cli.DemoGroup + "/" + cli.DemoCluster + "/2025-03-12T0930Z/1741771800",
		State:          atlas.ExportStateSuccessful,
		ExportStatus:   &atlas.ExportStatus{ExportedCollections: 12, TotalCollections: 12},
		CreatedAt:      created,
		FinishedAt:     created.Add(7 * time.Minute),
		CustomData:     []atlas.Label{{Key: "team", Value: "analytics"}},
	})
	return srv
}

// or returns v, or def when v is empty.
func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
