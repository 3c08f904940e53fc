// Package clitest runs the example programs from their tests.
package clitest

import (
	"bytes"
	"context"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/examples/internal/cli"
)

// Run runs p with args and returns its exit code, stdout and stderr.
func Run(t *testing.T, p cli.Program, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = p(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// SetEnv sets the variables the programs read for the rest of the test: those in env to their
// values, every other one to empty, so that the environment of whoever runs the tests cannot
// leak in.
func SetEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{atlas.EnvClientID, atlas.EnvClientSecret, atlas.EnvPublicKey, atlas.EnvPrivateKey,
		atlas.EnvPublicAPIKey, atlas.EnvPrivateAPIKey, atlas.EnvAccessToken, atlas.EnvBaseURL, "MONGODB_ATLAS_TOKEN_CACHE"} {
		t.Setenv(k, env[k])
	}
}
