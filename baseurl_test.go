package atlas_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/internal/loopback"
)

func TestBaseURLRefused(t *testing.T) {
	t.Parallel()
	const hostOnly = "give the host only"
	tests := []struct {
		base, says string
	}{
		{"://nope", "not a URL"},
		{"", "no host"},
		{"/api", "no host"},
		{"cloud.mongodb.com", "no host"},
		{"https:///api", "no host"},
		{"https://:443", "no host"},
		{"ftp://cloud.mongodb.com", "scheme"},
		{"ftp://127.0.0.1", "scheme"},
		{"https://cloud.mongodb.com/?envelope=true", "query"},
		{"https://cloud.mongodb.com/?", "query"},
		{"https://cloud.mongodb.com/#x", "fragment"},
		// Plain http carries the credentials in clear text: loopback only.
		{"http://cloud.mongodb.com", "loopback"},
		{"http://example.com:80", "loopback"},
		{"http://10.0.0.7:8080", "loopback"},
		{"http://127.0.0.1.nip.io", "loopback"},
		{"http://localhost.example.com", "loopback"},
		{"http://0.0.0.0:8080", "loopback"},
		{"http://2130706433", "loopback"}, // 127.0.0.1 as one number: not an address Go parses as loopback
		{"http://[fe80::1]:8080", "loopback"},
		// The API's own path: every call would be a 404 (issue 11).
		{"https://cloud.mongodb.com/api", hostOnly},
		{"https://cloud.mongodb.com/api/", hostOnly},
		{"https://cloud.mongodb.com/api/atlas", hostOnly},
		{"https://cloud.mongodb.com/api/atlas/", hostOnly},
		{"https://cloud.mongodb.com/api/atlas/v2", hostOnly},
		{"https://cloud.mongodb.com/api/atlas/v2/", hostOnly},
		{"https://cloud.mongodb.com/API/Atlas/V2", hostOnly},
		{"https://gateway.example.com/atlas/api/atlas/v2", hostOnly},
		{"http://127.0.0.1:8080/api/atlas/v2", hostOnly},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := atlas.NewClient(atlas.WithBaseURL(tt.base), atlas.WithAccessToken(canaryAccessToken))
			assert.Nil(t, c)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, "WithBaseURL", argErr.Name)
			assert.Contains(t, err.Error(), tt.says)
			if tt.says == hostOnly {
				assert.Contains(t, err.Error(), "https://cloud.mongodb.com", "the message shows what to give instead")
			}
		})
	}
}

// TestBaseURLErrorsShowSchemeHostAndPathOnly: user info (a password, or a token given as the
// user), a query and a fragment can each hold a credential, and none is repeated.
func TestBaseURLErrorsShowSchemeHostAndPathOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ base, shown string }{
		{"https://admin:" + canaryPrivateKey + "@cloud.mongodb.com", "https://cloud.mongodb.com"},
		{"http://user:" + canaryPrivateKey + "@example.com", "http://example.com"},
		{"http://user:" + canaryPrivateKey + "@127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"ftp://user:" + canaryPrivateKey + "@127.0.0.1", "ftp://127.0.0.1"},
		{"https://" + canaryPrivateKey + "@cloud.mongodb.com/p", "https://cloud.mongodb.com/p"},
		{"https://" + canaryPrivateKey + ":@cloud.mongodb.com", "https://cloud.mongodb.com"},
		{"https://cloud.mongodb.com/p?apikey=" + canaryPrivateKey, "https://cloud.mongodb.com/p"},
		{"https://cloud.mongodb.com/p#" + canaryPrivateKey, "https://cloud.mongodb.com/p"},
		{"https://cloud.mongodb.com/api?apikey=" + canaryPrivateKey + "#" + canaryAccessToken, "https://cloud.mongodb.com/api"},
		{"http://example.com/?apikey=" + canaryPrivateKey, "http://example.com/"},
		{"ftp://cloud.mongodb.com#" + canaryPrivateKey, "ftp://cloud.mongodb.com"},
		{"https:///p?apikey=" + canaryPrivateKey, "https:///p"},
	} {
		c, err := atlas.NewClient(atlas.WithBaseURL(tt.base), atlas.WithAccessToken(canaryAccessToken))
		assert.Nil(t, c)
		require.ErrorIs(t, err, atlas.ErrInvalidArgument)
		assertNoCanary(t, err.Error())
		assert.NotContains(t, err.Error(), "apikey", tt.base)
		assert.NotContains(t, err.Error(), "#", tt.base)
		assert.Contains(t, err.Error(), tt.shown, tt.base)
	}
}

func TestBaseURLAccepted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ base, shown string }{
		{"https://cloud.mongodb.com", "https://cloud.mongodb.com"},
		{"https://cloud.mongodb.com/", "https://cloud.mongodb.com"},
		{"https://cloud-qa.mongodb.com:8443/prefix", "https://cloud-qa.mongodb.com:8443/prefix"},
		// A path that only contains "api" is a prefix like any other.
		{"https://gateway.example.com/api-gateway", "https://gateway.example.com/api-gateway"},
		{"https://gateway.example.com/api/v1", "https://gateway.example.com/api/v1"},
		{"http://127.0.0.1:1", "http://127.0.0.1:1"},
		{"http://127.5.6.7", "http://127.5.6.7"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://LOCALHOST:8080/", "http://LOCALHOST:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
	} {
		c, err := atlas.NewClient(atlas.WithBaseURL(tt.base), atlas.WithAccessToken(canaryAccessToken))
		require.NoError(t, err, tt.base)
		assert.Equal(t, "atlas.Client{base: "+tt.shown+", auth: access token}", fmt.Sprint(c))
	}
}

func TestBaseURLPathIsAPrefix(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc("/gateway/atlas"+jobPath, serveJob)
	for _, prefix := range []string{"/gateway/atlas", "/gateway/atlas/"} {
		c := newClient(t, srv, atlas.WithBaseURL(srv.URL+prefix), atlas.WithAccessToken(testToken))
		job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err, prefix)
		assert.Equal(t, testExportID, job.ID)
	}
	assert.EqualValues(t, 2, srv.Requests())
	// The prefix is not repeated in errors: they name the API's path.
	c := newClient(t, srv, atlas.WithBaseURL(srv.URL+"/elsewhere"), atlas.WithAccessToken(testToken), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	assert.True(t, strings.HasPrefix(err.Error(), "atlas: GET "+jobPath+": 404"), err.Error())
}

// loopback.Host decides which base URLs may be plain http; it is tested here, with its use,
// rather than in a test binary of its own: under -race every test binary costs a second at exit.
func TestLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false,
		"[::1]": false, "localhost.example.com": false,
	} {
		assert.Equal(t, want, loopback.Host(host), host)
	}
}
