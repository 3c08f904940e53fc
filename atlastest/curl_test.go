package atlastest_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curl runs curl with the documentation's arguments plus quiet output, no proxy and the
// status code on the last line, and returns the body and the status.
func curl(t *testing.T, args ...string) (body []byte, status string) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not on PATH, so the documentation's curl lines cannot be run")
	}
	args = append([]string{"--silent", "--show-error", "--noproxy", "*", "--write-out", "\n%{http_code}"}, args...)
	out, err := exec.CommandContext(t.Context(), path, args...).Output()
	require.NoError(t, err, "curl %s", strings.Join(args, " "))
	i := bytes.LastIndexByte(out, '\n')
	return out[:i], string(out[i+1:])
}

// TestDocumentationCurlLines runs the spec's x-codeSamples curl lines against the fake, with
// the placeholders filled in: what the docs tell users to type must work.
func TestDocumentationCurlLines(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedExportable(t, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, SnapshotID: snapshot,
		State: atlas.ExportStateSuccessful})
	const accept = "Accept: application/vnd.atlas.2025-03-12+json"
	path := "/api/atlas/v2/groups/" + groupID + "/clusters/" + cluster + "/backup/exports"

	t.Run("digest get", func(t *testing.T) {
		srv.ResetCounters()
		// curl --user "${PUBLIC_KEY}:${PRIVATE_KEY}" --digest --header "Accept: ..." -X GET ".../{exportId}?pretty=true"
		body, status := curl(t, "--user", srv.PublicKey+":"+srv.PrivateKey, "--digest", "--header", accept,
			"-X", "GET", srv.URL+path+"/"+id+"?pretty=true")
		require.Equal(t, "200", status, "%s", body)
		assert.Contains(t, string(body), "\n  \"id\": \""+id+"\"", "pretty=true indents")
		var j atlas.ExportJob
		require.NoError(t, json.Unmarshal(body, &j))
		assert.Equal(t, atlas.ExportStateSuccessful, j.State)
		assert.Equal(t, 1, srv.DigestChallenges())
		assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport), "curl's unauthenticated try, then the answer")
	})
	t.Run("digest list", func(t *testing.T) {
		body, status := curl(t, "--user", srv.PublicKey+":"+srv.PrivateKey, "--digest", "--header", accept,
			"-X", "GET", srv.URL+path+"?pretty=true")
		require.Equal(t, "200", status, "%s", body)
		var p page
		require.NoError(t, json.Unmarshal(body, &p))
		assert.Len(t, p.Results, 1)
	})
	t.Run("digest create", func(t *testing.T) {
		body, status := curl(t, "--user", srv.PublicKey+":"+srv.PrivateKey, "--digest", "--header", accept,
			"--header", "Content-Type: application/json", "-X", "POST", srv.URL+path,
			"-d", `{"snapshotId":"`+snapshot+`","exportBucketId":"`+bucket+`"}`)
		require.Equal(t, "200", status, "%s", body)
		var j atlas.ExportJob
		require.NoError(t, json.Unmarshal(body, &j))
		assert.Equal(t, atlas.ExportStateQueued, j.State)
	})
	t.Run("digest export bucket", func(t *testing.T) {
		bucketURL := srv.URL + "/api/atlas/v2/groups/" + groupID + "/backup/exportBuckets/" + bucket
		// curl --user "${PUBLIC_KEY}:${PRIVATE_KEY}" --digest --include --header "Accept: ..." -X GET ".../exportBuckets/{exportBucketId}?pretty=true"
		body, status := curl(t, "--user", srv.PublicKey+":"+srv.PrivateKey, "--digest", "--header", accept,
			"-X", "GET", bucketURL+"?pretty=true")
		require.Equal(t, "200", status, "%s", body)
		assert.Contains(t, string(body), "\n  \"_id\": \""+bucket+"\"")
		// curl ... -X DELETE ".../exportBuckets/{exportBucketId}"
		body, status = curl(t, "--user", srv.PublicKey+":"+srv.PrivateKey, "--digest", "--header", accept,
			"-X", "DELETE", bucketURL)
		require.Equal(t, "204", status, "%s", body)
		assert.Empty(t, body)
		seedExportable(t, srv)
	})
	t.Run("service account", func(t *testing.T) {
		body, status := curl(t, "--user", srv.ClientID+":"+srv.ClientSecret, "--data", "grant_type=client_credentials",
			srv.URL+"/api/oauth/token")
		require.Equal(t, "200", status, "%s", body)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal(body, &tok))

		// curl --header "Authorization: Bearer ${ACCESS_TOKEN}" --header "Accept: ..." -X GET ".../{exportId}?pretty=true"
		body, status = curl(t, "--header", "Authorization: Bearer "+tok.AccessToken, "--header", accept,
			"-X", "GET", srv.URL+path+"/"+id+"?pretty=true")
		require.Equal(t, "200", status, "%s", body)
		assert.Contains(t, string(body), id)
	})
}
