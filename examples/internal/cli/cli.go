// Package cli is what the example programs share: a client from the environment variables the
// official Atlas tools read, a one-line explanation of an error for a person, and the in-process
// fake that their -demo flag runs against.
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

// The environment variables the Atlas CLI and the official SDKs read.
const (
	EnvClientID     = "MONGODB_ATLAS_CLIENT_ID"
	EnvClientSecret = "MONGODB_ATLAS_CLIENT_SECRET"
	EnvPublicKey    = "MONGODB_ATLAS_PUBLIC_KEY"
	EnvPrivateKey   = "MONGODB_ATLAS_PRIVATE_KEY"
	EnvBaseURL      = "MONGODB_ATLAS_BASE_URL"
)

// EnvHelp is a usage paragraph about the variables.
const EnvHelp = `Credentials come from the environment: ` + EnvClientID + ` and ` + EnvClientSecret + `
for a service account, else ` + EnvPublicKey + ` and ` + EnvPrivateKey + ` for a
programmatic API key. ` + EnvBaseURL + ` overrides https://cloud.mongodb.com.`

// ClientFromEnv builds a client from the variables getenv returns: a service account when
// both of its variables are set, else an API key (digest). opts come after, so a caller can
// add a User-Agent or a logger.
func ClientFromEnv(getenv func(string) string, opts ...atlas.Option) (*atlas.Client, error) {
	var auth atlas.Option
	switch {
	case getenv(EnvClientID) != "" || getenv(EnvClientSecret) != "":
		auth = atlas.WithServiceAccount(getenv(EnvClientID), getenv(EnvClientSecret))
	case getenv(EnvPublicKey) != "" || getenv(EnvPrivateKey) != "":
		auth = atlas.WithDigest(getenv(EnvPublicKey), getenv(EnvPrivateKey))
	default:
		return nil, fmt.Errorf("no credentials: set %s and %s (service account) or %s and %s (API key)",
			EnvClientID, EnvClientSecret, EnvPublicKey, EnvPrivateKey)
	}
	all := []atlas.Option{auth}
	if base := getenv(EnvBaseURL); base != "" {
		all = append(all, atlas.WithBaseURL(base))
	}
	c, err := atlas.NewClient(append(all, opts...)...)
	if err != nil {
		var ia *atlas.InvalidArgumentError
		if errors.As(err, &ia) {
			return nil, fmt.Errorf("bad configuration: %s: %s", ia.Name, ia.Reason)
		}
		return nil, err
	}
	return c, nil
}

// Explain turns an error of the SDK into one line a person can act on. notFound is the advice
// for a 404, naming the flags that address the missing thing.
func Explain(err error, notFound string) string {
	var (
		apiErr *atlas.APIError
		ia     *atlas.InvalidArgumentError
		failed *atlas.ExportFailedError
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
	case errors.As(err, &ia):
		return "invalid " + ia.Name + ": " + ia.Reason
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: Atlas did not answer in time, or the job did not finish in time"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, atlas.ErrUnauthorized):
		return "credentials refused (401): check " + EnvClientID + "/" + EnvClientSecret + " or " +
			EnvPublicKey + "/" + EnvPrivateKey + detail()
	case errors.Is(err, atlas.ErrForbidden):
		return "access denied (403): the credentials lack a role on this project (Project Backup Manager to read, " +
			"Project Backup Export Operator to create), or this address is not on the API access list" + detail()
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

// DemoEnv returns the environment a program would have if srv were Atlas: its URL and the API
// key it accepts. A -demo run passes it where a real run passes os.Getenv, so that both run
// the same code.
func DemoEnv(srv *atlastest.Server) func(string) string {
	env := map[string]string{
		EnvBaseURL:    srv.URL,
		EnvPublicKey:  srv.PublicKey,
		EnvPrivateKey: srv.PrivateKey,
	}
	return func(k string) string { return env[k] }
}

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
