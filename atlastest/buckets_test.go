package atlastest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddExportBucketDefaultsAndCopies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	b := &atlas.ExportBucket{Links: []atlas.Link{{Href: "http://x", Rel: "self"}}}
	id := srv.AddExportBucket("aaaaaaaaaaaaaaaaaaaaaaaa", b)
	assert.Regexp(t, `^[a-f0-9]{24}$`, id)
	assert.Empty(t, b.ID, "the caller's bucket is not modified")
	b.Links[0].Href = "changed"

	got, ok := srv.ExportBucket("aaaaaaaaaaaaaaaaaaaaaaaa", id)
	require.True(t, ok)
	assert.Equal(t, atlas.CloudProviderAWS, got.CloudProvider)
	assert.Equal(t, "export-bucket", got.BucketName)
	assert.Regexp(t, `^[a-f0-9]{24}$`, got.IAMRoleID)
	assert.Equal(t, "us-east-1", got.Region)
	assert.Equal(t, "http://x", got.Links[0].Href)
	got.Links[0].Href = "changed too"
	again, _ := srv.ExportBucket("aaaaaaaaaaaaaaaaaaaaaaaa", id)
	assert.Equal(t, "http://x", again.Links[0].Href)

	azure, _ := srv.ExportBucket(groupID, srv.AddExportBucket(groupID, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderAzure, BucketName: "backups"}))
	assert.Equal(t, "https://examplestorageaccount.blob.core.windows.net/backups", azure.ServiceURL)
	assert.Regexp(t, `^[a-f0-9]{24}$`, azure.RoleID)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, azure.TenantID)
	assert.Empty(t, azure.IAMRoleID+azure.Region)
	gcp, _ := srv.ExportBucket(groupID, srv.AddExportBucket(groupID, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderGCP, RoleID: bucket}))
	assert.Equal(t, bucket, gcp.RoleID, "given fields stay")

	// The same id again replaces the bucket, also across projects.
	srv.AddExportBucket(groupID, &atlas.ExportBucket{ID: id, CloudProvider: atlas.CloudProviderGCP})
	assert.Empty(t, srv.ExportBuckets("aaaaaaaaaaaaaaaaaaaaaaaa"))
	_, ok = srv.ExportBucket("aaaaaaaaaaaaaaaaaaaaaaaa", id)
	assert.False(t, ok)
	assert.Len(t, srv.ExportBuckets(groupID), 3)
	assert.Nil(t, srv.ExportBuckets("cccccccccccccccccccccccc"))
}

func TestAddGroupMakesAnEmptyProject(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	const empty = "eeeeeeeeeeeeeeeeeeeeeeee"
	url := srv.URL + "/api/atlas/v2/groups/" + empty + "/backup/exportBuckets"
	requireAPIError(t, bearerGet(t, hc, url, token), http.StatusNotFound, "GROUP_NOT_FOUND")
	srv.AddGroup(empty)
	var p atlas.ExportBucketPage
	readOK(t, bearerGet(t, hc, url, token), v2024, &p)
	assert.Empty(t, p.Results)
	assert.Empty(t, srv.ExportBuckets(empty))
}

// The spec's request examples, one per provider.
const (
	awsExample   = `{"bucketName":"export-bucket","cloudProvider":"AWS","iamRoleId":"668c5f0ed436263134491592","requirePrivateNetworking":false}`
	azureExample = `{"bucketName":"examplecontainer","cloudProvider":"AZURE","roleId":"668c5f0ed436263134491592","serviceUrl":"https://examplestorageaccount.blob.core.windows.net/examplecontainer"}`
	gcpExample   = `{"bucketName":"export-bucket","cloudProvider":"GCP","roleId":"668c5f0ed436263134491592"}`
)

func TestBucketLifecycle(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	url := srv.URL + groupPath + "/backup/exportBuckets"
	create := func(body string) *atlas.ExportBucket {
		t.Helper()
		var b atlas.ExportBucket
		readOK(t, bearerDo(t, hc, http.MethodPost, url, token, body, "Content-Type", "application/json"), v2024, &b)
		assert.Regexp(t, `^[a-f0-9]{24}$`, b.ID)
		assert.Equal(t, []atlas.Link{{Href: url + "/" + b.ID, Rel: "self"}}, b.Links)
		return &b
	}
	aws, azure, gcp := create(awsExample), create(azureExample), create(gcpExample)
	assert.Equal(t, "us-east-1", aws.Region, "Atlas sets the region")
	assert.Equal(t, "668c5f0ed436263134491592", aws.IAMRoleID)
	assert.Regexp(t, `^[0-9a-f-]{36}$`, azure.TenantID, "the role's tenant")
	assert.Equal(t, "examplecontainer", azure.BucketName)
	assert.Equal(t, "668c5f0ed436263134491592", gcp.RoleID)

	var page atlas.ExportBucketPage
	readOK(t, bearerGet(t, hc, url, token), v2024, &page)
	assert.Equal(t, []*atlas.ExportBucket{aws, azure, gcp}, page.Results)
	var got atlas.ExportBucket
	readOK(t, bearerGet(t, hc, url+"/"+azure.ID, token), v2024, &got)
	assert.Equal(t, azure, &got)

	patch := func(id, body string) *http.Response {
		return bearerDo(t, hc, http.MethodPatch, url+"/"+id, token, body, "Content-Type", v2024)
	}
	readOK(t, patch(aws.ID, `{"requirePrivateNetworking":true}`), v2024, &got)
	assert.True(t, got.RequirePrivateNetworking)
	stored, _ := srv.ExportBucket(groupID, aws.ID)
	assert.True(t, stored.RequirePrivateNetworking)
	e := requireAPIError(t, patch(gcp.ID, `{"requirePrivateNetworking":true}`), http.StatusBadRequest, "VALIDATION_ERROR")
	assert.Equal(t, "requirePrivateNetworking", e.BadRequestDetail.Fields[0].Field)
	for body, field := range map[string]string{`{}`: "requirePrivateNetworking", `{"requirePrivateNetworking":"yes"}`: "requirePrivateNetworking",
		`{"requirePrivateNetworking":true,"bucketName":"x-y-z"}`: "bucketName"} {
		e := requireAPIError(t, patch(aws.ID, body), http.StatusBadRequest, "VALIDATION_ERROR")
		assert.Equal(t, field, e.BadRequestDetail.Fields[0].Field, body)
	}
	requireAPIError(t, patch(missing, `{"requirePrivateNetworking":true}`), http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND")

	resp := bearerDo(t, hc, http.MethodDelete, url+"/"+azure.ID, token, "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, v2023, resp.Header.Get("Content-Type"))
	drain(resp)
	requireAPIError(t, bearerDo(t, hc, http.MethodDelete, url+"/"+azure.ID, token, ""), http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND")
	requireAPIError(t, bearerGet(t, hc, url+"/"+azure.ID, token), http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND")
	assert.Len(t, srv.ExportBuckets(groupID), 2)
	assert.Equal(t, 3, srv.Requests(atlastest.RouteCreateExportBucket))
	assert.Equal(t, 2, srv.Requests(atlastest.RouteDeleteExportBucket))
	assert.Equal(t, 6, srv.Requests(atlastest.RouteUpdateExportBucket))
}

func TestCreateBucketValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	url := srv.URL + groupPath + "/backup/exportBuckets"
	const role = `"668c5f0ed436263134491592"`
	aws := func(extra string) string {
		return `{"cloudProvider":"AWS","bucketName":"export-bucket","iamRoleId":` + role + extra + `}`
	}
	azure := func(serviceURL, extra string) string {
		return `{"cloudProvider":"AZURE","roleId":` + role + `,"serviceUrl":"` + serviceURL + `"` + extra + `}`
	}
	for _, tt := range []struct {
		name, body string
		fields     []string
	}{
		{"empty", `{}`, []string{"cloudProvider"}},
		{"unknown provider", `{"cloudProvider":"OCI"}`, []string{"cloudProvider"}},
		{"provider as number", `{"cloudProvider":1}`, []string{"cloudProvider"}},
		{"lower-case provider", `{"cloudProvider":"aws"}`, []string{"cloudProvider"}},
		{"AWS bare", `{"cloudProvider":"AWS"}`, []string{"bucketName", "iamRoleId"}},
		{"AZURE bare", `{"cloudProvider":"AZURE"}`, []string{"roleId", "serviceUrl"}},
		{"GCP bare", `{"cloudProvider":"GCP"}`, []string{"bucketName", "roleId"}},
		{"AWS with a role id", aws(`,"roleId":` + role), []string{"roleId"}},
		{"GCP with private networking", `{"cloudProvider":"GCP","bucketName":"b-1","roleId":` + role + `,"requirePrivateNetworking":true}`, []string{"requirePrivateNetworking"}},
		{"short bucket name", `{"cloudProvider":"AWS","bucketName":"ab","iamRoleId":` + role + `}`, []string{"bucketName"}},
		{"long bucket name", `{"cloudProvider":"AWS","bucketName":"` + strings.Repeat("b", 64) + `","iamRoleId":` + role + `}`, []string{"bucketName"}},
		{"role id not hex", `{"cloudProvider":"AWS","bucketName":"b-1","iamRoleId":"668C5F0ED436263134491592"}`, []string{"iamRoleId"}},
		{"private networking as text", aws(`,"requirePrivateNetworking":"true"`), []string{"requirePrivateNetworking"}},
		{"region is Atlas's", aws(`,"region":"eu-west-1"`), []string{"region"}},
		{"read-only id", aws(`,"_id":` + role), []string{"_id"}},
		{"plain http storage", azure("http://examplestorageaccount.blob.core.windows.net/container", ""), []string{"serviceUrl"}},
		{"non-standard endpoint", azure("https://examplestorageaccount.blob.example.com/container", ""), []string{"serviceUrl"}},
		{"short service url", azure("https://a.blob.core.windows.net/", ""), []string{"serviceUrl"}},
		{"short container", azure("https://a.blob.core.windows.net/c", ""), []string{"serviceUrl"}},
		{"bad bucket name beside a container", azure("https://examplestorageaccount.blob.core.windows.net/c-1", `,"bucketName":"x"`), []string{"bucketName"}},
		{"no container anywhere", azure("https://examplestorageaccount.blob.core.windows.net/", ""), []string{"bucketName"}},
		{"tenant not a UUID", azure("https://examplestorageaccount.blob.core.windows.net/container", `,"tenantId":"tenant"`), []string{"tenantId"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := requireAPIError(t, bearerDo(t, hc, http.MethodPost, url, token, tt.body, "Content-Type", "application/json"),
				http.StatusBadRequest, "VALIDATION_ERROR")
			assert.Equal(t, tt.fields, violated(t, e))
		})
	}
	for _, body := range []string{``, `[]`, `null`, `{"cloudProvider":`, `{}{}`} {
		requireAPIError(t, bearerDo(t, hc, http.MethodPost, url, token, body, "Content-Type", "application/json"),
			http.StatusBadRequest, "MALFORMED_JSON")
	}
	assert.Empty(t, srv.ExportBuckets(groupID), "refused requests create nothing")

	t.Run("container from the service URL, tenant ignored", func(t *testing.T) {
		var b atlas.ExportBucket
		body := azure("https://examplestorageaccount.blob.core.windows.net/nightly/x", `,"tenantId":"4297fc77-1592-4de8-a6d5-a8c32401df87"`)
		readOK(t, bearerDo(t, hc, http.MethodPost, url, token, body, "Content-Type", "application/json"), v2024, &b)
		assert.Equal(t, "nightly", b.BucketName)
		assert.NotEqual(t, "4297fc77-1592-4de8-a6d5-a8c32401df87", b.TenantID)
	})
}
