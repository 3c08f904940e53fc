package atlastest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dayBefore is the version date one day before the media type's.
func dayBefore(mediaType string) string {
	return map[string]string{v2023: "application/vnd.atlas.2022-12-31+json", v2024: "application/vnd.atlas.2024-05-29+json"}[mediaType]
}

func TestEveryOperationServesItsVersions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	for _, op := range operationCases() {
		first, newest := op.versions[0], op.versions[len(op.versions)-1]
		t.Run(op.route, func(t *testing.T) {
			expect := func(want string, header ...string) {
				t.Helper()
				seedAll(t, srv)
				resp := op.call(t, hc, srv, token, header...)
				assert.Equal(t, op.status, resp.StatusCode, "%v", header)
				assert.Equal(t, want, resp.Header.Get("Content-Type"), "%v", header)
				drain(resp)
			}
			for _, v := range op.versions {
				expect(v, "Accept", v)
			}
			expect(newest, "Accept", "application/vnd.atlas.2099-01-01+json")
			for _, lenient := range []string{"", "application/json", "*/*", "application/*"} {
				expect(newest, "Accept", lenient)
			}
			e := requireAPIError(t, op.call(t, hc, srv, token, "Accept", dayBefore(first)), http.StatusNotAcceptable, "INVALID_VERSION_DATE")
			assert.Contains(t, e.Detail, "The first version of this resource is "+strings.TrimSuffix(strings.TrimPrefix(first, "application/vnd.atlas."), "+json"))
			if op.body == "" {
				return
			}
			for _, v := range op.versions {
				expect(v, "Content-Type", v)
				expect(v, "Content-Type", v+"; charset=utf-8", "Accept", "application/json")
			}
			requireAPIError(t, op.call(t, hc, srv, token, "Content-Type", dayBefore(first)), http.StatusUnsupportedMediaType, "INVALID_VERSION_DATE")
			requireAPIError(t, op.call(t, hc, srv, token, "Content-Type", "application/vnd.atlas.latest+json"), http.StatusUnsupportedMediaType, "INVALID_VERSION_DATE")
			requireAPIError(t, op.call(t, hc, srv, token, "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
		})
	}
}

// TestVersionsMatchTheSpec checks the fake's newest version of each operation against the one
// version the spec declares for its success answer.
func TestVersionsMatchTheSpec(t *testing.T) {
	t.Parallel()
	spec, err := loadSpec()
	require.NoError(t, err)
	var ids []string
	for _, op := range operationCases() {
		node, _ := spec.operation(op.method, op.path)
		require.NotNil(t, node, op.route)
		ids = append(ids, node.str("operationId"))
		declared := spec.response(node, op.status).at("content")
		require.NotNil(t, declared, op.route)
		assert.Equal(t, []string{op.versions[len(op.versions)-1]}, declared.keys, op.route)
	}
	var all []string
	for _, path := range spec.root.at("paths").keys {
		for _, method := range spec.root.at("paths", path).keys {
			if id := spec.root.str("paths", path, method, "operationId"); id != "" {
				all = append(all, id)
			}
		}
	}
	assert.ElementsMatch(t, all, ids, "every operation of the spec, once")
}

func TestAcceptHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddExportBucket(groupID, &atlas.ExportBucket{})
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	bucketsURL := srv.URL + groupPath + "/backup/exportBuckets"
	for _, tt := range []struct{ accept, jobs, buckets string }{
		{"", v2023, v2024},
		{"application/json", v2023, v2024},
		{"*/*", v2023, v2024},
		{"application/*", v2023, v2024},
		{v2023, v2023, v2023},
		{"application/vnd.atlas.2025-03-12+json", v2023, v2024},
		{"application/vnd.atlas.2024-05-29+json", v2023, v2023},
		{"application/vnd.atlas.2099-01-01+json; charset=utf-8", v2023, v2024},
		{"text/html, application/vnd.atlas.2024-08-05+json;q=0.9", v2023, v2024},
		{"application/json, " + v2023, v2023, v2023},                      // a named version wins over any JSON
		{"application/vnd.atlas.2022-01-01+json, */*", v2023, v2024},      // too early, but anything goes
		{"application/vnd.atlas.2022-01-01+json, " + v2024, v2023, v2024}, // the first that names a version
	} {
		t.Run(tt.accept, func(t *testing.T) {
			for url, want := range map[string]string{exportsURL(srv, ""): tt.jobs, bucketsURL: tt.buckets} {
				resp := bearerGet(t, hc, url, token, "Accept", tt.accept)
				assert.Equal(t, http.StatusOK, resp.StatusCode, url)
				assert.Equal(t, want, resp.Header.Get("Content-Type"), url)
				drain(resp)
			}
		})
	}
	for _, accept := range []string{"application/vnd.atlas.2022-12-31+json", "application/vnd.atlas.latest+json"} {
		requireAPIError(t, bearerGet(t, hc, exportsURL(srv, ""), token, "Accept", accept), http.StatusNotAcceptable, "INVALID_VERSION_DATE")
	}
	requireAPIError(t, bearerGet(t, hc, exportsURL(srv, ""), token, "Accept", "text/html"), http.StatusNotAcceptable, "INVALID_ACCEPT_HEADER")
	requireAPIError(t, bearerGet(t, hc, bucketsURL+"/"+bucket, token, "Accept", v2023), http.StatusNotAcceptable, "INVALID_VERSION_DATE")
}

// TestDeprecatedBucketVersion checks the 2023-01-01 version the bucket list and create still
// serve: AWS buckets only, in the AWS bucket shape.
func TestDeprecatedBucketVersion(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	url := srv.URL + groupPath + "/backup/exportBuckets"
	aws := srv.AddExportBucket(groupID, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderAWS})
	srv.AddExportBucket(groupID, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderGCP})
	srv.AddExportBucket(groupID, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderAzure})

	var p atlas.ExportBucketPage
	readOK(t, bearerGet(t, hc, url, token, "Accept", v2023), v2023, &p)
	require.Len(t, p.Results, 1)
	assert.Equal(t, aws, p.Results[0].ID)
	assert.Equal(t, 1, p.TotalCount)
	readOK(t, bearerGet(t, hc, url, token, "Accept", v2024), v2024, &p)
	assert.Len(t, p.Results, 3)

	gcp := `{"cloudProvider":"GCP","bucketName":"export-bucket","roleId":"668c5f0ed436263134491592"}`
	e := requireAPIError(t, bearerDo(t, hc, http.MethodPost, url, token, gcp, "Accept", v2023, "Content-Type", "application/json"),
		http.StatusBadRequest, "VALIDATION_ERROR")
	require.NotNil(t, e.BadRequestDetail)
	assert.Equal(t, "cloudProvider", e.BadRequestDetail.Fields[0].Field)
	assert.Contains(t, e.BadRequestDetail.Fields[0].Description, "2023-01-01")
	var b atlas.ExportBucket
	readOK(t, bearerDo(t, hc, http.MethodPost, url, token, gcp, "Content-Type", v2024), v2024, &b)
	assert.Equal(t, atlas.CloudProviderGCP, b.CloudProvider)

	awsBody := `{"cloudProvider":"AWS","bucketName":"old-client","iamRoleId":"668c5f0ed436263134491592"}`
	readOK(t, bearerDo(t, hc, http.MethodPost, url, token, awsBody, "Content-Type", v2023), v2023, &b)
	assert.Equal(t, "old-client", b.BucketName)
	assert.Equal(t, "us-east-1", b.Region)

	e = requireAPIError(t, bearerDo(t, hc, http.MethodPost, url, token, awsBody, "Accept", v2024, "Content-Type", v2023),
		http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	assert.Contains(t, e.Detail, "one version")
	assert.Len(t, srv.ExportBuckets(groupID), 5, "refused requests create nothing")
}
