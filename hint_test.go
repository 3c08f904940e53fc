package atlas

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHintNamesTheRoleOfEveryOperation checks the role a 403 names against every operation
// of the spec and its x-rolesRequirements.
func TestHintNamesTheRoleOfEveryOperation(t *testing.T) {
	const (
		g = "/api/atlas/v2/groups/5f1d2e3c4b5a69788796a5b4"
		c = g + "/clusters/Cluster0/backup"
		x = "6a0b1c2d3e4f5a6b7c8d9e0f"
	)
	for _, tc := range []struct{ method, path, role string }{
		{http.MethodGet, c + "/exports", "Project Backup Manager"},
		{http.MethodPost, c + "/exports", "Project Backup Export Operator"},
		{http.MethodGet, c + "/exports/" + x, "Project Backup Manager"},
		{http.MethodGet, g + "/backup/exportBuckets", "Project Read Only"},
		{http.MethodPost, g + "/backup/exportBuckets", "Project Backup Manager"},
		{http.MethodGet, g + "/backup/exportBuckets/" + x, "Project Read Only"},
		{http.MethodPatch, g + "/backup/exportBuckets/" + x, "Project Backup Manager"},
		{http.MethodDelete, g + "/backup/exportBuckets/" + x, "Project Backup Manager"},
		{http.MethodGet, c + "/snapshots", "Project Read Only"},
		{http.MethodPost, c + "/snapshots", "Project Backup Creator"},
		{http.MethodGet, c + "/snapshots/" + x, "Project Read Only"},
		{http.MethodGet, c + "/snapshots/shardedClusters", "Project Read Only"},
		{http.MethodGet, c + "/snapshots/shardedCluster/" + x, "Project Read Only"},
		{http.MethodGet, "/prefix" + c + "/exports", "Project Backup Manager"}, // a base URL's path prefix
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			for _, auth := range []authKind{authServiceAccount, authDigest, authAccessToken, authTokenSource} {
				h := hint(auth, tc.method, tc.path, http.StatusForbidden)
				assert.Contains(t, h, "the "+tc.role+" role")
				assert.Contains(t, h, "IP access list")
			}
		})
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodPut, c + "/exports"},
		{http.MethodGet, g + "/clusters"},
		{http.MethodGet, c + "/exports/" + x + "/extra"},
		{http.MethodGet, "/api/atlas/v2/orgs"},
	} {
		h := hint(authDigest, tc.method, tc.path, http.StatusForbidden)
		assert.Contains(t, h, "a role on the project that allows this operation", tc.path)
	}
}

// TestHintNamesWhatToCheckForEachAuthMode checks that a 401 names the credentials of the mode
// in use, and that other statuses get no hint.
func TestHintNamesWhatToCheckForEachAuthMode(t *testing.T) {
	const path = "/api/atlas/v2/groups/5f1d2e3c4b5a69788796a5b4/backup/exportBuckets"
	for _, tc := range []struct {
		auth authKind
		want []string
	}{
		{authServiceAccount, []string{EnvClientID, EnvClientSecret, "WithServiceAccount", "IP access list"}},
		{authDigest, []string{EnvPublicKey, EnvPrivateKey, EnvPublicAPIKey, EnvPrivateAPIKey, "WithDigest", "IP access list"}},
		{authAccessToken, []string{EnvAccessToken, "WithAccessToken", "expired", "revoked"}},
		{authTokenSource, []string{"token source"}},
	} {
		h := hint(tc.auth, http.MethodGet, path, http.StatusUnauthorized)
		for _, w := range tc.want {
			assert.Contains(t, h, w, tc.auth.String())
		}
	}
	assert.Contains(t, hint(authServiceAccount, http.MethodPost, tokenPath, http.StatusForbidden), "100 live tokens")
	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusTooManyRequests, http.StatusInternalServerError} {
		assert.Empty(t, hint(authDigest, http.MethodGet, path, status), status)
	}
}
