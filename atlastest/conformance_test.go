package atlastest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/stretchr/testify/require"
)

// conformingTransport checks every response the fake sends against the contract: the
// operation's declared status and media type, then the body against the declared schema (see
// spec_test.go), read from testdata/backup-export.wire.yaml itself. Every test's client goes through
// it, so the whole suite is the evidence that the fake's answers conform.
type conformingTransport struct {
	t    *testing.T
	base http.RoundTripper
}

// rawBodyHeader marks a fault answer whose body the test made up, so it is not checked.
const rawBodyHeader = "X-Test-Raw-Body"

func (c *conformingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Header.Get(rawBodyHeader) == "" {
		if err := checkResponse(req, resp, body); err != "" {
			c.t.Errorf("%s %s answered %d: %s\n%s", req.Method, req.URL, resp.StatusCode, err, body)
		}
	}
	return resp, nil
}

func TestSpecIsAvailable(t *testing.T) {
	t.Parallel()
	spec, err := loadSpec()
	require.NoError(t, err)
	op, template := spec.operation(http.MethodGet, "/api/atlas/v2/groups/g/clusters/c/backup/snapshots/shardedClusters")
	require.NotNil(t, op)
	require.Equal(t, "listBackupShardedClusters", op.str("operationId"), template)
	require.NotNil(t, spec.root.at("components", "schemas", "DiskBackupSnapshotExportBucketResponse", "x-xgen-discriminator", "mapping", "AZURE"))
}

var oauthPath = regexp.MustCompile(`^/api/oauth/(token|revoke)$`)

// bucketsTemplate is the path of the two operations that still serve the deprecated
// 2023-01-01 version, which the spec no longer declares: it answers with the AWS bucket schema
// where the current version has the bucket of any provider.
const bucketsTemplate = "/api/atlas/v2/groups/{groupId}/backup/exportBuckets"

var deprecatedBuckets = map[string]string{"DiskBackupSnapshotExportBucketResponse": "DiskBackupSnapshotAWSExportBucketResponse"}

// checkResponse returns what is wrong with one response, or "".
func checkResponse(req *http.Request, resp *http.Response, body []byte) string {
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return h + " is not an integer"
			}
		}
	}
	ct := resp.Header.Get("Content-Type")
	if oauthPath.MatchString(req.URL.Path) && resp.StatusCode != http.StatusMethodNotAllowed {
		return checkOAuth(req, resp, ct, body)
	}
	spec, err := loadSpec()
	if err != nil {
		return err.Error()
	}
	if resp.StatusCode >= 300 {
		if ct != "application/json" {
			return "error body is " + ct
		}
		if msg := checkAPIError(resp.StatusCode, body); msg != "" {
			return msg
		}
		return validateBody(spec, spec.root.at("components", "schemas", "ApiError"), body, nil)
	}
	op, template := spec.operation(req.Method, req.URL.Path)
	if op == nil {
		return "the spec has no such operation"
	}
	declared := spec.response(op, resp.StatusCode)
	if declared == nil {
		return "the spec declares no " + strconv.Itoa(resp.StatusCode) + " answer for " + op.str("operationId")
	}
	media, subst := declared.at("content", ct), map[string]string(nil)
	if media == nil && ct == atlas.MediaType && template == bucketsTemplate {
		media, subst = declared.at("content", atlas.MediaTypeExportBuckets), deprecatedBuckets
	}
	if media == nil {
		return "the spec declares no " + ct + " answer for " + op.str("operationId")
	}
	if media.at("schema") == nil {
		if len(body) > 0 {
			return "a body where the spec declares none"
		}
		return ""
	}
	return validateBody(spec, media.at("schema"), body, subst)
}

// validateBody decodes one JSON document and validates it against schema.
func validateBody(spec *openAPI, schema *yamlNode, body []byte, subst map[string]string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err.Error()
	}
	if dec.More() {
		return "more than one JSON document"
	}
	if err := spec.validate(schema, v, "body", subst); err != nil {
		return err.Error()
	}
	return ""
}

// checkAPIError checks what every error body must have, spec or not: error and errorCode,
// error equal to the status.
func checkAPIError(status int, body []byte) string {
	var e struct {
		Error     *int    `json:"error"`
		ErrorCode *string `json:"errorCode"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return err.Error()
	}
	switch {
	case e.Error == nil || e.ErrorCode == nil || *e.ErrorCode == "":
		return "ApiError lacks the required error or errorCode"
	case *e.Error != status:
		return "ApiError.error differs from the status"
	}
	return ""
}

// checkOAuth checks the token and revocation endpoints, which RFC 6749 and RFC 7009 define
// rather than the spec.
func checkOAuth(req *http.Request, resp *http.Response, ct string, body []byte) string {
	switch {
	case req.URL.Path == "/api/oauth/revoke" && resp.StatusCode == http.StatusOK:
		if len(body) != 0 {
			return "revocation answered with a body"
		}
		return ""
	case ct != "application/json":
		return "OAuth answer is " + ct
	case resp.StatusCode == http.StatusOK:
		var tok struct {
			AccessToken *string `json:"access_token"`
			TokenType   *string `json:"token_type"`
			ExpiresIn   *int    `json:"expires_in"`
		}
		if err := strictDecode(body, &tok); err != nil {
			return err.Error()
		}
		if tok.AccessToken == nil || tok.TokenType == nil || *tok.TokenType != "Bearer" || tok.ExpiresIn == nil {
			return "token answer lacks access_token, token_type Bearer or expires_in"
		}
		return ""
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		// Rate limits, faults and shutdown answer as the API does, with an ApiError.
		return checkAPIError(resp.StatusCode, body)
	}
	var e struct {
		Error            *string `json:"error"`
		ErrorDescription string  `json:"error_description"`
	}
	if err := strictDecode(body, &e); err != nil {
		return err.Error()
	}
	if e.Error == nil || *e.Error == "" {
		return "OAuth error lacks error"
	}
	return ""
}

// strictDecode decodes one JSON document, refusing fields the target does not declare.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// TestConformanceCatchesDeviations feeds the checks bodies that break the spec in the ways a
// fake could, so that a passing suite means something.
func TestConformanceCatchesDeviations(t *testing.T) {
	t.Parallel()
	spec, err := loadSpec()
	require.NoError(t, err)
	const id = `"_id":"32b6e34b3d91647abb20e7b8"`
	for _, tt := range []struct {
		name, schema, body, want string
		subst                    map[string]string
	}{
		{"AWS bucket", "DiskBackupSnapshotExportBucketResponse", `{` + id + `,"bucketName":"b-1","cloudProvider":"AWS","iamRoleId":"32b6e34b3d91647abb20e7b8"}`, "", nil},
		{"AWS bucket with a role id", "DiskBackupSnapshotExportBucketResponse", `{` + id + `,"bucketName":"b-1","cloudProvider":"AWS","iamRoleId":"32b6e34b3d91647abb20e7b8","roleId":"32b6e34b3d91647abb20e7b8"}`, "roleId belongs to", nil},
		{"Azure bucket without tenant", "DiskBackupSnapshotExportBucketResponse", `{` + id + `,"bucketName":"c-1","cloudProvider":"AZURE","roleId":"32b6e34b3d91647abb20e7b8","serviceUrl":"https://a.blob.core.windows.net/c-1xxxxxxxxxxxx"}`, "required tenantId", nil},
		{"short bucket name", "DiskBackupSnapshotExportBucketResponse", `{` + id + `,"bucketName":"b","cloudProvider":"GCP","roleId":"32b6e34b3d91647abb20e7b8"}`, "shorter than 3", nil},
		{"deprecated shape of a GCP bucket", "PaginatedBackupSnapshotExportBuckets", `{"results":[{` + id + `,"bucketName":"b-1","cloudProvider":"GCP","roleId":"32b6e34b3d91647abb20e7b8"}]}`, "roleId is not a property", deprecatedBuckets},
		{"replica-set snapshot with members", "DiskBackupReplicaSet", `{"id":"32b6e34b3d91647abb20e7b8","members":[]}`, "members is not a property", nil},
		{"sharded fields on a replica set", "DiskBackupSnapshot", `{"type":"replicaSet","snapshotIds":[]}`, "snapshotIds belongs to shardedCluster", nil},
		{"unknown snapshot status", "DiskBackupShardedClusterSnapshot", `{"status":"done"}`, "not in the enum", nil},
		{"job state", "DiskBackupExportJob", `{"exportBucketId":"32b6e34b3d91647abb20e7b8","state":"Done"}`, "not in the enum", nil},
		{"job without bucket", "DiskBackupExportJob", `{"state":"Queued"}`, "required exportBucketId", nil},
		{"local time", "DiskBackupExportJob", `{"exportBucketId":"32b6e34b3d91647abb20e7b8","createdAt":"2025-01-01T10:00:00+01:00"}`, "not a UTC date-time", nil},
		{"prefix off the template", "DiskBackupExportJob", `{"exportBucketId":"32b6e34b3d91647abb20e7b8","prefix":"/exported_snapshots/a/b"}`, "does not match", nil},
		{"negative count", "PaginatedApiAtlasDiskBackupExportJobView", `{"results":[],"totalCount":-1}`, "below the minimum", nil},
		{"error as text", "ApiError", `{"error":"404","errorCode":"X"}`, "not an integer", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := validateBody(spec, spec.root.at("components", "schemas", tt.schema), []byte(tt.body), tt.subst)
			if tt.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tt.want)
		})
	}
}
