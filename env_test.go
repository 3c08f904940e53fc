package atlas_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// NewClientFromEnv reads the variables of the Atlas CLI and the Terraform provider.

var envVariables = []string{
	atlas.EnvClientID, atlas.EnvClientSecret, atlas.EnvPublicAPIKey, atlas.EnvPrivateAPIKey,
	atlas.EnvPublicKey, atlas.EnvPrivateKey, atlas.EnvAccessToken, atlas.EnvBaseURL, atlas.EnvTokenCache,
}

// setEnv unsets every variable NewClientFromEnv reads, then sets vars; all are restored when
// the test ends.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, name := range envVariables {
		t.Setenv(name, "") // restores the variable at the end
		require.NoError(t, os.Unsetenv(name))
	}
	for name, value := range vars {
		t.Setenv(name, value)
	}
}

// Values of the refused environments; each is searched for in the error's text.
const (
	envID     = "mdb_sa_id_env_canary_41c2"
	envSecret = "canary-env-secret-90ab"
	envPublic = "canary-env-public-5d"
	envKey    = "canary-env-private-key-77e3"
	envToken  = "canary-env-token-c6f0"
)

func TestNewClientFromEnvRefuses(t *testing.T) {
	for name, tt := range map[string]struct {
		vars  map[string]string
		names []string // what the error must name
	}{
		"nothing set": {nil, []string{atlas.EnvClientID, atlas.EnvClientSecret, atlas.EnvPublicAPIKey,
			atlas.EnvPrivateAPIKey, atlas.EnvPublicKey, atlas.EnvPrivateKey, atlas.EnvAccessToken}},
		"everything empty": {map[string]string{atlas.EnvClientID: "", atlas.EnvClientSecret: "", atlas.EnvAccessToken: ""},
			[]string{atlas.EnvClientID, atlas.EnvAccessToken}},
		"client id alone":       {map[string]string{atlas.EnvClientID: envID}, []string{atlas.EnvClientSecret}},
		"client secret alone":   {map[string]string{atlas.EnvClientSecret: envSecret}, []string{atlas.EnvClientID}},
		"public API key alone":  {map[string]string{atlas.EnvPublicAPIKey: envPublic}, []string{atlas.EnvPrivateAPIKey}},
		"private API key alone": {map[string]string{atlas.EnvPrivateAPIKey: envKey}, []string{atlas.EnvPublicAPIKey}},
		"public key alone":      {map[string]string{atlas.EnvPublicKey: envPublic}, []string{atlas.EnvPrivateKey}},
		"private key alone":     {map[string]string{atlas.EnvPrivateKey: envKey}, []string{atlas.EnvPublicKey}},
		"half a pair beside a whole credential": {map[string]string{atlas.EnvAccessToken: envToken, atlas.EnvClientID: envID},
			[]string{atlas.EnvClientSecret}},
		"service account and token": {map[string]string{atlas.EnvClientID: envID, atlas.EnvClientSecret: envSecret,
			atlas.EnvAccessToken: envToken}, []string{atlas.EnvClientID, atlas.EnvAccessToken}},
		"service account and API key": {map[string]string{atlas.EnvClientID: envID, atlas.EnvClientSecret: envSecret,
			atlas.EnvPublicAPIKey: envPublic, atlas.EnvPrivateAPIKey: envKey}, []string{atlas.EnvClientID, atlas.EnvPublicAPIKey}},
		"two different API keys": {map[string]string{atlas.EnvPublicAPIKey: envPublic, atlas.EnvPrivateAPIKey: envKey,
			atlas.EnvPublicKey: envPublic, atlas.EnvPrivateKey: envKey + "-other"}, []string{atlas.EnvPublicAPIKey, atlas.EnvPublicKey}},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, tt.vars)
			c, err := atlas.NewClientFromEnv()
			assert.Nil(t, c)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			for _, n := range tt.names {
				assert.Contains(t, err.Error(), n)
			}
			assertNoSecret(t, err, envID, envSecret, envPublic, envKey, envToken)
		})
	}
}

func TestNewClientFromEnvUsesTheOneCredential(t *testing.T) {
	srv := authFake(t)
	token, err := grantAtFake(t.Context(), srv)
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		vars map[string]string
		used func() int // what the fake counted of this credential's use
	}{
		"service account": {map[string]string{atlas.EnvClientID: testClientID, atlas.EnvClientSecret: testSecret}, srv.TokenGrants},
		"API key":         {map[string]string{atlas.EnvPublicAPIKey: testPublicKey, atlas.EnvPrivateAPIKey: testPrivateKey}, srv.DigestChallenges},
		"API key, the other spelling": {map[string]string{atlas.EnvPublicKey: testPublicKey, atlas.EnvPrivateKey: testPrivateKey},
			srv.DigestChallenges},
		"API key, both spellings alike": {map[string]string{atlas.EnvPublicAPIKey: testPublicKey, atlas.EnvPrivateAPIKey: testPrivateKey,
			atlas.EnvPublicKey: testPublicKey, atlas.EnvPrivateKey: testPrivateKey}, srv.DigestChallenges},
		"access token": {map[string]string{atlas.EnvAccessToken: token}, func() int { return srv.Requests(atlastest.RouteGetExport) }},
		"empty ones beside it": {map[string]string{atlas.EnvAccessToken: token, atlas.EnvClientID: "", atlas.EnvClientSecret: "",
			atlas.EnvPublicKey: ""}, func() int { return srv.Requests(atlastest.RouteGetExport) }},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, tt.vars)
			t.Setenv(atlas.EnvBaseURL, srv.URL)
			before := tt.used()
			c, err := atlas.NewClientFromEnv()
			require.NoError(t, err)
			require.NoError(t, getTestJob(t.Context(), c), "the variables' base URL and credential reach the fake")
			assert.Greater(t, tt.used(), before)
		})
	}
}

func TestNewClientFromEnvOptionsOverrideTheBaseURL(t *testing.T) {
	srv := authFake(t)
	setEnv(t, map[string]string{atlas.EnvPublicKey: testPublicKey, atlas.EnvPrivateKey: testPrivateKey,
		atlas.EnvBaseURL: "https://cloud.example.invalid"})
	c, err := atlas.NewClientFromEnv()
	require.NoError(t, err)
	assert.Contains(t, fmt.Sprint(c), "https://cloud.example.invalid", "the variable is applied")

	c, err = atlas.NewClientFromEnv(atlas.WithBaseURL(srv.URL), atlas.WithUserAgent("env-test/1"))
	require.NoError(t, err)
	require.NoError(t, getTestJob(t.Context(), c), "WithBaseURL wins over the variable")

	t.Setenv(atlas.EnvBaseURL, "http://atlas.example.invalid") // plain http to a host that is not loopback: refused, never dialled
	_, err = atlas.NewClientFromEnv()
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
}

// TestNewClientFromEnvRefusesNearMisses: a MONGODB_* variable a typo away from one that is
// read is refused with the name it likely meant, so that a misspelt base URL does not quietly
// target production; the other tools' own variables are left alone.
func TestNewClientFromEnvRefusesNearMisses(t *testing.T) {
	for typo, want := range map[string]string{
		"MONGODB_ATLAS_BASEURL":        atlas.EnvBaseURL,
		"MONGODB_ATLAS_BASE_URI":       atlas.EnvBaseURL,
		"MONGODB_ALTAS_CLIENT_ID":      atlas.EnvClientID,
		"MONGODB_ATLAS_CLIENTSECRET":   atlas.EnvClientSecret,
		"MONGODB_ATLAS_ACESS_TOKEN":    atlas.EnvAccessToken,
		"MONGODB_ATLAS_PUBLICKEY":      atlas.EnvPublicKey,
		"MONGODB_ATLAS_PRIVATE_APIKEY": atlas.EnvPrivateAPIKey,
	} {
		t.Run(typo, func(t *testing.T) {
			setEnv(t, map[string]string{atlas.EnvAccessToken: envToken, typo: envSecret})
			c, err := atlas.NewClientFromEnv()
			assert.Nil(t, c)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			assert.Contains(t, err.Error(), typo)
			assert.Contains(t, err.Error(), "did you mean "+want+"?")
			assertNoSecret(t, err, envSecret, envToken)
		})
	}
	for _, other := range []string{"MONGODB_ATLAS_ORG_ID", "MONGODB_ATLAS_PROJECT_ID", "MONGODB_ATLAS_OUTPUT",
		"MONGODB_ATLAS_OPS_MANAGER_URL", "MONGODB_ATLAS_SERVICE", "MONGODB_ATLAS_REFRESH_TOKEN", "MONGODB_URI"} {
		t.Run(other, func(t *testing.T) {
			setEnv(t, map[string]string{atlas.EnvAccessToken: envToken, other: "x"})
			_, err := atlas.NewClientFromEnv()
			require.NoError(t, err)
		})
	}
	t.Run("empty", func(t *testing.T) {
		setEnv(t, map[string]string{atlas.EnvAccessToken: envToken, "MONGODB_ATLAS_BASEURL": ""})
		_, err := atlas.NewClientFromEnv()
		require.NoError(t, err, "an empty variable counts as unset")
	})
}

// TestNewClientFromEnvRefusesLineBreaks: a value with a trailing newline (a token read from a
// file) or another control character is refused up front, naming the variable, not the value.
func TestNewClientFromEnvRefusesLineBreaks(t *testing.T) {
	for name, tt := range map[string]struct {
		vars       map[string]string
		name, want string
	}{
		"token ending with LF":   {map[string]string{atlas.EnvAccessToken: envToken + "\n"}, atlas.EnvAccessToken, "ends with a line break"},
		"token ending with CRLF": {map[string]string{atlas.EnvAccessToken: envToken + "\r\n"}, atlas.EnvAccessToken, "ends with a line break"},
		"secret with ESC": {map[string]string{atlas.EnvClientID: envID, atlas.EnvClientSecret: envSecret + "\x1b"},
			atlas.EnvClientSecret, "control character"},
		"private key with CR inside": {map[string]string{atlas.EnvPublicKey: envPublic, atlas.EnvPrivateKey: "a\rb" + envKey},
			atlas.EnvPrivateKey, "control character"},
		"base URL ending with LF": {map[string]string{atlas.EnvAccessToken: envToken, atlas.EnvBaseURL: "https://cloud.mongodb.com\n"},
			atlas.EnvBaseURL, "ends with a line break"},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, tt.vars)
			_, err := atlas.NewClientFromEnv()
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tt.name, argErr.Name)
			assert.Contains(t, err.Error(), tt.want)
			assertNoSecret(t, err, envID, envSecret, envPublic, envKey, envToken)
		})
	}
}

// TestNewClientFromEnvHalfPairNamesTheOtherSpelling: half of one API key spelling beside a
// whole pair of the other says so, since the user likely meant the whole one.
func TestNewClientFromEnvHalfPairNamesTheOtherSpelling(t *testing.T) {
	setEnv(t, map[string]string{atlas.EnvPublicKey: envPublic, atlas.EnvPublicAPIKey: envPublic, atlas.EnvPrivateAPIKey: envKey})
	_, err := atlas.NewClientFromEnv()
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.Contains(t, err.Error(), atlas.EnvPublicKey+" is set but "+atlas.EnvPrivateKey+" is not")
	assert.Contains(t, err.Error(), atlas.EnvPublicAPIKey+" and "+atlas.EnvPrivateAPIKey+" are both set")

	setEnv(t, map[string]string{atlas.EnvPrivateAPIKey: envKey, atlas.EnvPublicKey: envPublic, atlas.EnvPrivateKey: envKey})
	_, err = atlas.NewClientFromEnv()
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.Contains(t, err.Error(), atlas.EnvPrivateAPIKey+" is set but "+atlas.EnvPublicAPIKey+" is not")
	assert.Contains(t, err.Error(), atlas.EnvPublicKey+" and "+atlas.EnvPrivateKey+" are both set")
	assertNoSecret(t, err, envPublic, envKey)
}

// MONGODB_ATLAS_TOKEN_CACHE names a directory whose file cache the runs of a machine share:
// two clients from the environment, one grant.
func TestNewClientFromEnvTokenCache(t *testing.T) {
	srv := authFake(t)
	dir := filepath.Join(t.TempDir(), "tokens")
	setEnv(t, map[string]string{atlas.EnvClientID: testClientID, atlas.EnvClientSecret: testSecret,
		atlas.EnvBaseURL: srv.URL, atlas.EnvTokenCache: dir})
	for range 2 {
		c, err := atlas.NewClientFromEnv()
		require.NoError(t, err)
		require.NoError(t, getTestJob(t.Context(), c))
		require.NoError(t, c.Close(t.Context()))
	}
	assert.Equal(t, 1, srv.TokenGrants())
	assert.Zero(t, srv.TokenRevocations(), "the shared token stays live")
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.NotEmpty(t, files)

	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	t.Setenv(atlas.EnvTokenCache, notADir)
	_, err = atlas.NewClientFromEnv()
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.Contains(t, err.Error(), atlas.EnvTokenCache)
	assertNoSecret(t, err, testSecret)
}
