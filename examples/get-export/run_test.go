package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/examples/internal/cli"
	"github.com/atlas-exports/atlas/examples/internal/clitest"
)

func TestDemoPrintsTheSeededJob(t *testing.T) {
	clitest.SetEnv(t, map[string]string{atlas.EnvClientID: "ignored-by-demo", atlas.EnvClientSecret: "ignored-by-demo"})
	code, stdout, stderr := clitest.Run(t, run, "-demo")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Empty(t, stderr)

	var got atlas.ExportJob
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), "stdout: %s", stdout)
	srv := demoServer()
	defer srv.Close()
	want, ok := srv.ExportJob(cli.DemoGroup, cli.DemoCluster, DemoExport)
	require.True(t, ok)
	require.Len(t, got.Links, 1, "the fake's self link")
	assert.True(t, strings.HasSuffix(got.Links[0].Href, "/backup/exports/"+DemoExport), got.Links[0].Href)
	got.Links = nil
	assert.Equal(t, *want, got)
	assert.True(t, strings.HasPrefix(stdout, "{\n  \"id\": "), "indented JSON: %s", stdout)
}

func TestMissingFlagsPrintUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster},
		{"-group", cli.DemoGroup, "-export", DemoExport},
		{"-cluster", cli.DemoCluster, "-export", DemoExport},
		{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-export", DemoExport, "extra"},
		{"-no-such-flag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := clitest.Run(t, run, args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "usage: get-export -group ID -cluster NAME -export ID")
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	code, _, stderr := clitest.Run(t, run, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "MONGODB_ATLAS_PUBLIC_KEY")
}

// TestRealModeAgainstTheFake runs the program as a user would, credentials in the
// environment, against a fake standing in for Atlas, and checks the line a person reads.
func TestRealModeAgainstTheFake(t *testing.T) {
	srv := atlastest.NewServer()
	t.Cleanup(srv.Close)
	id := srv.AddExportJob(cli.DemoGroup, cli.DemoCluster, &atlas.ExportJob{State: atlas.ExportStateInProgress})
	const denied = "5c8b1b2bd5b7e1a2b3c4d5e6"
	srv.AddCluster(denied, cli.DemoCluster)
	srv.SetAccess(denied, atlastest.AccessNone)
	digest := map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvPublicKey: srv.PublicKey, atlas.EnvPrivateKey: srv.PrivateKey}
	account := map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvClientID: srv.ClientID, atlas.EnvClientSecret: srv.ClientSecret}
	wrongKey := map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvPublicKey: srv.PublicKey, atlas.EnvPrivateKey: "wrong"}

	// want lists what stderr's one line must hold. The 401 and 403 lines are the library's own
	// error text, which names what to check; the program only adds its flags to a 404.
	for _, tc := range []struct {
		name   string
		env    map[string]string
		group  string
		export string
		code   int
		want   []string // empty for success
	}{
		{"API key", digest, cli.DemoGroup, id, 0, nil},
		{"service account", account, cli.DemoGroup, id, 0, nil},
		{"unknown export", digest, cli.DemoGroup, DemoExport, 1, []string{"get-export: ", "404", "EXPORT_JOB_NOT_FOUND", "(check -group, -cluster and -export)"}},
		{"unknown group", digest, "aaaaaaaaaaaaaaaaaaaaaaaa", id, 1, []string{"get-export: ", "404", "GROUP_NOT_FOUND", "(check -group, -cluster and -export)"}},
		{"wrong key", wrongKey, cli.DemoGroup, id, 1, []string{"get-export: ", "401 Unauthorized", "Check the API key's public and private key (" + atlas.EnvPublicKey}},
		{"no access", digest, denied, id, 1, []string{"get-export: ", "403 Forbidden", "the Project Backup Manager role"}},
		{"bad group", digest, "Project-1", id, 1, []string{"get-export: ", "invalid groupID: must be 24 lowercase hexadecimal characters"}},
		{"no credentials", map[string]string{atlas.EnvBaseURL: srv.URL}, cli.DemoGroup, id, 1, []string{"get-export: bad configuration: environment: no credential: set MONGODB_ATLAS_CLIENT_ID"}},
		{"bad base URL", map[string]string{atlas.EnvBaseURL: "http://example.com", atlas.EnvPublicKey: "k", atlas.EnvPrivateKey: "p"}, cli.DemoGroup, id, 1,
			[]string{"get-export: bad configuration: WithBaseURL: plain http is only allowed to a loopback host"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clitest.SetEnv(t, tc.env)
			code, stdout, stderr := clitest.Run(t, run, "-group", tc.group, "-cluster", cli.DemoCluster, "-export", tc.export)
			assert.Equal(t, tc.code, code, "stderr: %s", stderr)
			if tc.want == nil {
				var job atlas.ExportJob
				require.NoError(t, json.Unmarshal([]byte(stdout), &job), stdout)
				assert.Equal(t, id, job.ID)
				assert.Equal(t, atlas.ExportStateInProgress, job.State)
				assert.Empty(t, stderr)
				return
			}
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, tc.want[0]), "stderr: %q", stderr)
			for _, w := range tc.want[1:] {
				assert.Contains(t, stderr, w)
			}
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasSuffix(stderr, "\n"), "one line: %q", stderr)
			for _, secret := range []string{srv.PrivateKey, srv.ClientSecret} {
				assert.NotContains(t, stderr, secret)
			}
		})
	}
}

// TestSurvivesSparseResponses reads a job whose answer carries no optional field.
func TestSurvivesSparseResponses(t *testing.T) {
	srv := atlastest.NewServer(atlastest.WithSparseResponses())
	t.Cleanup(srv.Close)
	id := srv.AddExportJob(cli.DemoGroup, cli.DemoCluster, &atlas.ExportJob{State: atlas.ExportStateInProgress,
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 2}})
	clitest.SetEnv(t, map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvClientID: srv.ClientID, atlas.EnvClientSecret: srv.ClientSecret})
	code, stdout, stderr := clitest.Run(t, run, "-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-export", id)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	var job atlas.ExportJob
	require.NoError(t, json.Unmarshal([]byte(stdout), &job), stdout)
	assert.Nil(t, job.ExportStatus, "the answer left it out")
	assert.Equal(t, atlas.ExportStateInProgress, job.State)
}
