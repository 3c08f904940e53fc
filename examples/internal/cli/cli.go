// Package cli is what the example programs share: a client from the environment (or for the
// in-process fake their -demo flag runs against), an error printed as one line, and a
// progress display for waits.
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

// Fail writes err for a person, as one line on w: "prog: what: err", the error's own text,
// which says what to check (a 401 names the credentials of the auth mode in use, a 403 the
// role the operation needs). Only a 404 gets more, the program's own flags that address the
// missing thing (flags), which the library cannot know. It returns the exit code 1.
func Fail(w io.Writer, prog, what string, err error, flags string) int {
	line := prog + ": "
	if what != "" {
		line += what + ": "
	}
	line += err.Error()
	if errors.Is(err, atlas.ErrNotFound) && flags != "" {
		line += " (check " + flags + ")"
	}
	fmt.Fprintln(w, strings.ReplaceAll(line, "\n", " "))
	return 1
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
