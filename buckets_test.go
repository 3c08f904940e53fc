package atlas_test

// Tests of ExportBucketsService. List and All are in paging_test.go with the other lists.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

const azureURL = "https://examplestorageaccount.blob.core.windows.net/examplecontainer"

func TestExportBucketsCreateSendsEachProvidersDocument(t *testing.T) {
	t.Parallel()
	// The spec's three request examples, and the document each becomes on the wire.
	for _, tc := range []struct {
		name string
		req  atlas.CreateExportBucketRequest
		body string
	}{
		{"AWS", atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAWS, BucketName: "export-bucket", IAMRoleID: testRoleID},
			`{"cloudProvider":"AWS","bucketName":"export-bucket","iamRoleId":"` + testRoleID + `"}`},
		{"AWS over private networking", atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAWS, BucketName: "export-bucket", IAMRoleID: testRoleID, RequirePrivateNetworking: true},
			`{"cloudProvider":"AWS","bucketName":"export-bucket","iamRoleId":"` + testRoleID + `","requirePrivateNetworking":true}`},
		{"AZURE", atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAzure, BucketName: "examplecontainer", RoleID: testRoleID, ServiceURL: azureURL},
			`{"cloudProvider":"AZURE","bucketName":"examplecontainer","roleId":"` + testRoleID + `","serviceUrl":"` + azureURL + `"}`},
		{"GCP", atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderGCP, BucketName: "export-bucket", RoleID: testRoleID},
			`{"cloudProvider":"GCP","bucketName":"export-bucket","roleId":"` + testRoleID + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			b, err := f.client.ExportBuckets.Create(t.Context(), testGroupID, &tc.req)
			require.NoError(t, err)
			assertSent(t, f.wire.only(t), http.MethodPost, bucketsPath, "application/vnd.atlas.2024-05-30+json", tc.body)

			assert.Len(t, b.ID, 24)
			assert.NotEqual(t, testBucket, b.ID)
			assert.Equal(t, tc.req.CloudProvider, b.CloudProvider)
			assert.Equal(t, tc.req.BucketName, b.BucketName)
			assert.Equal(t, tc.req.IAMRoleID, b.IAMRoleID)
			assert.Equal(t, tc.req.RoleID, b.RoleID)
			assert.Equal(t, tc.req.ServiceURL, b.ServiceURL)
			assert.Equal(t, tc.req.RequirePrivateNetworking, b.RequirePrivateNetworking)
			stored, ok := f.srv.ExportBucket(testGroupID, b.ID)
			require.True(t, ok, "the fake holds the new bucket")
			assert.Equal(t, tc.req.CloudProvider, stored.CloudProvider)
		})
	}
}

func TestExportBucketsCreateRefusesWithoutARequest(t *testing.T) {
	t.Parallel()
	aws := atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAWS, BucketName: "export-bucket", IAMRoleID: testRoleID}
	azure := atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderAzure, RoleID: testRoleID, ServiceURL: azureURL}
	gcp := atlas.CreateExportBucketRequest{CloudProvider: atlas.CloudProviderGCP, BucketName: "export-bucket", RoleID: testRoleID}
	with := func(r atlas.CreateExportBucketRequest, change func(*atlas.CreateExportBucketRequest)) *atlas.CreateExportBucketRequest {
		change(&r)
		return &r
	}
	for _, tc := range []struct {
		name  string
		group string
		req   *atlas.CreateExportBucketRequest
		param string
	}{
		{"nil request", testGroupID, nil, "req"},
		{"bad group", "5f1d2e3c", &aws, "groupID"},
		{"no provider", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.CloudProvider = "" }), "CloudProvider"},
		{"unknown provider", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.CloudProvider = "OCI" }), "CloudProvider"},
		{"lower-case provider", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.CloudProvider = "aws" }), "CloudProvider"},
		{"AWS without BucketName", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "" }), "BucketName"},
		{"AWS without IAMRoleID", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.IAMRoleID = "" }), "IAMRoleID"},
		{"AWS with RoleID only", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.IAMRoleID, r.RoleID = "", testRoleID }), "IAMRoleID"},
		{"AZURE without RoleID", testGroupID, with(azure, func(r *atlas.CreateExportBucketRequest) { r.RoleID = "" }), "RoleID"},
		{"AZURE without ServiceURL", testGroupID, with(azure, func(r *atlas.CreateExportBucketRequest) { r.ServiceURL = "" }), "ServiceURL"},
		{"AZURE with a plain-http ServiceURL", testGroupID, with(azure, func(r *atlas.CreateExportBucketRequest) { r.ServiceURL = "http" + azureURL[5:] }), "ServiceURL"},
		{"AZURE with a short ServiceURL", testGroupID, with(azure, func(r *atlas.CreateExportBucketRequest) { r.ServiceURL = "https://a.blob.core.windows.net/" }), "ServiceURL"},
		{"GCP without BucketName", testGroupID, with(gcp, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "" }), "BucketName"},
		{"GCP without RoleID", testGroupID, with(gcp, func(r *atlas.CreateExportBucketRequest) { r.RoleID = "" }), "RoleID"},
		{"BucketName of 2", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "ab" }), "BucketName"},
		{"BucketName of 64", testGroupID, with(gcp, func(r *atlas.CreateExportBucketRequest) { r.BucketName = strings.Repeat("b", 64) }), "BucketName"},
		{"BucketName a URL", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "s3://nightly" }), "BucketName"},
		{"BucketName a gs URL", testGroupID, with(gcp, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "gs://nightly" }), "BucketName"},
		{"BucketName with a path", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.BucketName = "nightly/prefix" }), "BucketName"},
		{"IAMRoleID not hex", testGroupID, with(aws, func(r *atlas.CreateExportBucketRequest) { r.IAMRoleID = "arn:aws:iam::1234:role/x" }), "IAMRoleID"},
		{"RoleID upper-case", testGroupID, with(gcp, func(r *atlas.CreateExportBucketRequest) { r.RoleID = strings.ToUpper(testRoleID) }), "RoleID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			b, err := f.client.ExportBuckets.Create(t.Context(), tc.group, tc.req)
			assert.Nil(t, b)
			assertNothingSent(t, f, err, tc.param)
		})
	}
}

func TestExportBucketsCreateAcceptsTheBucketNameBounds(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, name := range []string{"abc", strings.Repeat("b", 63)} {
		b, err := f.client.ExportBuckets.Create(t.Context(), testGroupID, &atlas.CreateExportBucketRequest{
			CloudProvider: atlas.CloudProviderAWS, BucketName: name, IAMRoleID: testRoleID,
		})
		require.NoError(t, err, "a name of %d characters", len(name))
		assert.Equal(t, name, b.BucketName)
	}
	assert.Equal(t, 2, f.srv.Requests(atlastest.RouteCreateExportBucket))
}

func TestExportBucketsGet(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b, err := f.client.ExportBuckets.Get(t.Context(), testGroupID, testBucket)
	require.NoError(t, err)
	assert.Equal(t, &atlas.ExportBucket{
		ID: testBucket, BucketName: "export-bucket", CloudProvider: atlas.CloudProviderAWS, IAMRoleID: testRoleID,
		Region: "us-east-1", Links: []atlas.Link{{Href: f.srv.URL + bucketPath, Rel: "self"}},
	}, b)
	assertSent(t, f.wire.only(t), http.MethodGet, bucketPath, "application/vnd.atlas.2024-05-30+json", "")

	b, err = f.client.ExportBuckets.Get(t.Context(), testGroupID, testOtherID)
	assert.Nil(t, b)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	assertAPIError(t, err, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND")
}

func TestExportBucketsAnswerAboutAnotherBucketIsInvalidResponse(t *testing.T) {
	t.Parallel()
	doc := `{"_id":"` + testOtherID + `","bucketName":"export-bucket","cloudProvider":"AWS","iamRoleId":"` + testRoleID + `"}`
	t.Run("Get", func(t *testing.T) {
		assertAnotherIDRefused(t, doc, func(c *atlas.Client) (any, error) {
			return c.ExportBuckets.Get(t.Context(), testGroupID, testBucket)
		})
	})
	t.Run("Update", func(t *testing.T) {
		assertAnotherIDRefused(t, doc, func(c *atlas.Client) (any, error) {
			return c.ExportBuckets.Update(t.Context(), testGroupID, testBucket, &atlas.UpdateExportBucketRequest{})
		})
	})
}

func TestExportBucketsUpdateAlwaysSendsRequirePrivateNetworking(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, private := range []bool{true, false} {
		f.wire.reset()
		b, err := f.client.ExportBuckets.Update(t.Context(), testGroupID, testBucket,
			&atlas.UpdateExportBucketRequest{RequirePrivateNetworking: private})
		require.NoError(t, err)
		assert.Equal(t, testBucket, b.ID)
		assert.Equal(t, private, b.RequirePrivateNetworking)
		assertSent(t, f.wire.only(t), http.MethodPatch, bucketPath, "application/vnd.atlas.2024-05-30+json",
			`{"requirePrivateNetworking":`+map[bool]string{true: "true", false: "false"}[private]+`}`)
		stored, _ := f.srv.ExportBucket(testGroupID, testBucket)
		assert.Equal(t, private, stored.RequirePrivateNetworking, "the fake applied it")
	}
}

func TestExportBucketsDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	require.NoError(t, f.client.ExportBuckets.Delete(t.Context(), testGroupID, testBucket))
	// The one operation on buckets of the 2023-01-01 version; it has no body either way.
	assertSent(t, f.wire.only(t), http.MethodDelete, bucketPath, "application/vnd.atlas.2023-01-01+json", "")
	_, ok := f.srv.ExportBucket(testGroupID, testBucket)
	assert.False(t, ok, "the fake no longer holds it")

	_, err := f.client.ExportBuckets.Get(t.Context(), testGroupID, testBucket)
	assert.ErrorIs(t, err, atlas.ErrNotFound)
	err = f.client.ExportBuckets.Delete(t.Context(), testGroupID, testBucket)
	assert.ErrorIs(t, err, atlas.ErrNotFound, "a second delete finds it gone")
}

func TestExportBucketsRefuseBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	calls := map[string]func(f *fixture, group, bucket string) (any, error){
		"Get": func(f *fixture, group, bucket string) (any, error) {
			return f.client.ExportBuckets.Get(t.Context(), group, bucket)
		},
		"Update": func(f *fixture, group, bucket string) (any, error) {
			return f.client.ExportBuckets.Update(t.Context(), group, bucket, &atlas.UpdateExportBucketRequest{})
		},
		"Delete": func(f *fixture, group, bucket string) (any, error) {
			return nil, f.client.ExportBuckets.Delete(t.Context(), group, bucket)
		},
		"List": func(f *fixture, group, _ string) (any, error) {
			return f.client.ExportBuckets.List(t.Context(), group, nil)
		},
	}
	for name, call := range calls {
		for _, tc := range []struct {
			name, group, bucket, param string
		}{
			{"bad group", "not-a-group", testBucket, "groupID"},
			{"bad bucket", testGroupID, testBucket[:23] + "G", "exportBucketID"},
		} {
			if name == "List" && tc.param != "groupID" {
				continue
			}
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := setup(t)
				got, err := call(f, tc.group, tc.bucket)
				assert.Nil(t, got)
				assertNothingSent(t, f, err, tc.param)
			})
		}
	}
	t.Run("Update/nil request", func(t *testing.T) {
		f := setup(t)
		b, err := f.client.ExportBuckets.Update(t.Context(), testGroupID, testBucket, nil)
		assert.Nil(t, b)
		assertNothingSent(t, f, err, "req")
	})
}
