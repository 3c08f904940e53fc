// Package cli is what the example programs share: a client from the environment (or for the
// in-process fake their -demo flag runs against), a one-line explanation of an error for a
// person, and a progress display for waits.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// EnvHelp is a usage paragraph about the variables atlas.NewClientFromEnv reads.
const EnvHelp = `Credentials come from the environment, as the Atlas CLI reads them: ` + atlas.EnvClientID + `
and ` + atlas.EnvClientSecret + ` for a service account, ` + atlas.EnvPublicKey + ` and ` + atlas.EnvPrivateKey + `
(or ` + atlas.EnvPublicAPIKey + ` and ` + atlas.EnvPrivateAPIKey + `) for a programmatic API key, or
` + atlas.EnvAccessToken + `. ` + atlas.EnvBaseURL + ` overrides https://cloud.mongodb.com.`

// Client builds the program's client: from the environment with atlas.NewClientFromEnv, or,
// for a -demo run (demo not nil), for the in-process fake with its API key. opts come after,
// so a caller can add a User-Agent or a logger.
func Client(demo *atlastest.Server, opts ...atlas.Option) (*atlas.Client, error) {
	var (
		c   *atlas.Client
		err error
	)
	if demo != nil {
		c, err = atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(demo.URL), atlas.WithDigest(demo.PublicKey, demo.PrivateKey)}, opts...)...)
	} else {
		c, err = atlas.NewClientFromEnv(opts...)
	}
	var ia *atlas.InvalidArgumentError
	if errors.As(err, &ia) {
		return nil, fmt.Errorf("bad configuration: %s: %s", ia.Name, ia.Reason)
	}
	return c, err
}

// Explain turns an error of the SDK into one line a person can act on. notFound is the advice
// for a 404, naming the flags that address the missing thing.
func Explain(err error, notFound string) string {
	var (
		apiErr *atlas.APIError
		ia     *atlas.InvalidArgumentError
		failed *atlas.ExportFailedError
		snap   *atlas.SnapshotFailedError
	)
	detail := func() string {
		if apiErr != nil && apiErr.Detail != "" {
			return ": " + apiErr.Detail
		}
		return ""
	}
	errors.As(err, &apiErr)
	switch {
	case errors.As(err, &failed):
		msg := "export job " + failed.Job.ID + " ended " + string(failed.Job.State)
		if r := failed.Job.StateReason; r != nil {
			msg += ": " + strings.TrimPrefix(r.ErrorCode+": "+r.Message, ": ")
		}
		return msg
	case errors.As(err, &snap):
		return "snapshot " + snap.Snapshot.ID + " failed: take another, or pick a completed one"
	case errors.As(err, &ia):
		return "invalid " + ia.Name + ": " + ia.Reason
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: Atlas did not answer in time, or the job did not finish in time"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, atlas.ErrUnauthorized):
		return "credentials refused (401): check " + atlas.EnvClientID + "/" + atlas.EnvClientSecret + " or " +
			atlas.EnvPublicKey + "/" + atlas.EnvPrivateKey + detail()
	case errors.Is(err, atlas.ErrForbidden):
		return "access denied (403): the credentials lack a role on this project (Project Backup Manager to read and " +
			"manage buckets, Project Backup Export Operator to export, Project Backup Creator to take snapshots), " +
			"or this address is not on the API access list" + detail()
	case errors.Is(err, atlas.ErrNotFound):
		return notFound + detail()
	case errors.Is(err, atlas.ErrRateLimited):
		msg := "rate limited (429): Atlas refused more requests for now"
		if apiErr != nil && apiErr.RetryAfter > 0 {
			msg += fmt.Sprintf("; try again in %s", apiErr.RetryAfter)
		} else {
			msg += "; try again later"
		}
		return msg
	case errors.Is(err, atlas.ErrServer) && apiErr != nil:
		return fmt.Sprintf("Atlas server error (%d): try again later%s", apiErr.StatusCode, detail())
	case apiErr != nil:
		return fmt.Sprintf("request refused (%d %s)%s", apiErr.StatusCode, apiErr.ErrorCode, detail())
	case errors.Is(err, atlas.ErrInvalidResponse):
		return "Atlas sent an answer this program cannot read: " + err.Error()
	}
	return "cannot reach Atlas: " + err.Error()
}

// The project and cluster the demo fake serves.
const (
	DemoGroup   = "32b6e34b3d91647abb20e7b8"
	DemoCluster = "Cluster0"
)

// Program is an example's whole behaviour, written so that a test can call it: arguments
// without the program name in, an exit code out.
type Program func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Main runs p as the process, with a context that an interrupt (Ctrl-C) cancels, and exits
// with its code.
func Main(p Program) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := p(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Parse parses args into fs, whose output should be stderr. ok is false when the program
// should exit with code: 0 after -h, 2 for a bad flag (fs has printed why and its usage).
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	}
	return 2, false
}

// PrintJSON writes v to w as indented JSON and a newline.
func PrintJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}
