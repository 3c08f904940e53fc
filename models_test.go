package atlas_test

// Tests of the wire types: every model decodes the spec's documents and encodes them back
// unchanged, and keeps values a newer server may send.

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// roundTrip decodes doc into a new T, checks that encoding it gives doc back, and returns it.
func roundTrip[T any](t *testing.T, doc string) *T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(doc), &v))
	back, err := json.Marshal(&v)
	require.NoError(t, err)
	assert.JSONEq(t, doc, string(back), "encoded back")
	return &v
}

var selfLink = []atlas.Link{{Href: "https://cloud.mongodb.com/api/atlas", Rel: "self"}}

func TestExportJobRoundTrip(t *testing.T) {
	t.Parallel()
	job := roundTrip[atlas.ExportJob](t, jobJSON)
	assert.Equal(t, &atlas.ExportJob{
		ID:             testExportID,
		SnapshotID:     testSnapshot,
		ExportBucketID: testBucket,
		Prefix:         "/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
		State:          atlas.ExportStateInProgress,
		StateReason:    &atlas.StateReason{ErrorCode: "NONE", Message: "running"},
		ExportStatus:   &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 7},
		CreatedAt:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		FinishedAt:     time.Date(2025, 1, 2, 4, 5, 6, 0, time.UTC),
		Components:     []atlas.ExportComponent{{ExportID: "0a0b1c2d3e4f5a6b7c8d9e0f", ReplicaSetName: "shard-0"}},
		CustomData:     []atlas.Label{{Key: "team", Value: "storage"}},
		Links:          selfLink,
	}, job)

	page := roundTrip[atlas.ExportJobPage](t, `{"results":[`+jobJSON+`],"totalCount":1,"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}]}`)
	assert.Equal(t, job, page.Results[0])
	assert.Equal(t, 1, page.TotalCount)
}

func TestExportBucketRoundTripsTheSpecExamples(t *testing.T) {
	t.Parallel()
	// The spec's response examples of the three providers; the id is "_id" on the wire.
	for _, tc := range []struct {
		name string
		doc  string
		want atlas.ExportBucket
	}{
		{"AWS", `{"_id":"32b6e34b3d91647abb20e7b8","bucketName":"export-bucket","cloudProvider":"AWS",
			"iamRoleId":"668c5f0ed436263134491592","links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}],
			"region":"us-east-1","requirePrivateNetworking":true}`,
			atlas.ExportBucket{ID: "32b6e34b3d91647abb20e7b8", BucketName: "export-bucket", CloudProvider: atlas.CloudProviderAWS,
				IAMRoleID: "668c5f0ed436263134491592", Region: "us-east-1", RequirePrivateNetworking: true, Links: selfLink}},
		{"Azure", `{"_id":"32b6e34b3d91647abb20e7b8","bucketName":"examplecontainer","cloudProvider":"AZURE",
			"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}],"roleId":"668c5f0ed436263134491592",
			"serviceUrl":"https://examplestorageaccount.blob.core.windows.net/examplecontainer",
			"tenantId":"4297fc77-1592-4de8-a6d5-a8c32401df87"}`,
			atlas.ExportBucket{ID: "32b6e34b3d91647abb20e7b8", BucketName: "examplecontainer", CloudProvider: atlas.CloudProviderAzure,
				RoleID: "668c5f0ed436263134491592", ServiceURL: azureURL, TenantID: "4297fc77-1592-4de8-a6d5-a8c32401df87", Links: selfLink}},
		{"GCP", `{"_id":"32b6e34b3d91647abb20e7b8","bucketName":"export-bucket","cloudProvider":"GCP",
			"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}],"roleId":"668c5f0ed436263134491592"}`,
			atlas.ExportBucket{ID: "32b6e34b3d91647abb20e7b8", BucketName: "export-bucket", CloudProvider: atlas.CloudProviderGCP,
				RoleID: "668c5f0ed436263134491592", Links: selfLink}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, &tc.want, roundTrip[atlas.ExportBucket](t, tc.doc))
			page := roundTrip[atlas.ExportBucketPage](t, `{"results":[`+tc.doc+`],"totalCount":1}`)
			assert.Equal(t, &tc.want, page.Results[0])
		})
	}
}

func TestSnapshotRoundTripsBothShapes(t *testing.T) {
	t.Parallel()
	// Every field of DiskBackupReplicaSet and of DiskBackupShardedClusterSnapshot, with the
	// spec's example values where it gives them.
	for _, tc := range []struct {
		name string
		doc  string
		want atlas.Snapshot
	}{
		{"replica set", `{"id":"32b6e34b3d91647abb20e7b8","status":"completed","snapshotType":"onDemand","type":"replicaSet",
			"frequencyType":"daily","description":"before the migration","replicaSetName":"Cluster0","cloudProvider":"AWS",
			"copyRegions":["US_EAST_1","EU_WEST_1"],"createdAt":"2025-01-02T03:04:05Z","expiresAt":"2025-01-09T03:04:05Z",
			"mongodVersion":"8.0.4","masterKeyUUID":"4297fc77-1592-4de8-a6d5-a8c32401df87",
			"policyItems":["32b6e34b3d91647abb20e7b8"],"storageSizeBytes":1234567890,
			"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}]}`,
			atlas.Snapshot{ID: "32b6e34b3d91647abb20e7b8", Status: atlas.SnapshotStatusCompleted, SnapshotType: "onDemand",
				Type: "replicaSet", FrequencyType: "daily", Description: "before the migration", ReplicaSetName: "Cluster0",
				CloudProvider: atlas.CloudProviderAWS, CopyRegions: []string{"US_EAST_1", "EU_WEST_1"}, CreatedAt: testCreatedAt,
				ExpiresAt: testCreatedAt.Add(7 * 24 * time.Hour), MongodVersion: "8.0.4", MasterKeyUUID: "4297fc77-1592-4de8-a6d5-a8c32401df87",
				PolicyItems: []string{"32b6e34b3d91647abb20e7b8"}, StorageSizeBytes: 1234567890, Links: selfLink}},
		{"sharded cluster", `{"id":"32b6e34b3d91647abb20e7b8","status":"inProgress","snapshotType":"scheduled","type":"shardedCluster",
			"frequencyType":"hourly","configServerType":"EMBEDDED","createdAt":"2025-01-02T03:04:05Z",
			"members":[{"id":"0a0b1c2d3e4f5a6b7c8d9e0f","cloudProvider":"GCP","replicaSetName":"shard-0"},
				{"id":"1a0b1c2d3e4f5a6b7c8d9e0f","cloudProvider":"GCP","replicaSetName":"config"}],
			"snapshotIds":["0a0b1c2d3e4f5a6b7c8d9e0f","1a0b1c2d3e4f5a6b7c8d9e0f"],"mongodVersion":"7.0.12","storageSizeBytes":42,
			"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}]}`,
			atlas.Snapshot{ID: "32b6e34b3d91647abb20e7b8", Status: atlas.SnapshotStatusInProgress, SnapshotType: "scheduled",
				Type: "shardedCluster", FrequencyType: "hourly", ConfigServerType: "EMBEDDED", CreatedAt: testCreatedAt,
				Members: []atlas.SnapshotMember{
					{ID: "0a0b1c2d3e4f5a6b7c8d9e0f", CloudProvider: atlas.CloudProviderGCP, ReplicaSetName: "shard-0"},
					{ID: "1a0b1c2d3e4f5a6b7c8d9e0f", CloudProvider: atlas.CloudProviderGCP, ReplicaSetName: "config"},
				},
				SnapshotIDs:   []string{"0a0b1c2d3e4f5a6b7c8d9e0f", "1a0b1c2d3e4f5a6b7c8d9e0f"},
				MongodVersion: "7.0.12", StorageSizeBytes: 42, Links: selfLink}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, &tc.want, roundTrip[atlas.Snapshot](t, tc.doc))
			page := roundTrip[atlas.SnapshotPage](t, `{"results":[`+tc.doc+`],"totalCount":1}`)
			assert.Equal(t, &tc.want, page.Results[0])
		})
	}
}

func TestModelsKeepWhatANewerServerSends(t *testing.T) {
	t.Parallel()
	// Unknown values are data, unknown fields are ignored, and what is absent stays absent.
	const future = `"fieldFromTheFuture":{"nested":[1,2,3]}`
	var job atlas.ExportJob
	require.NoError(t, json.Unmarshal([]byte(`{"id":"`+testExportID+`","exportBucketId":"`+testBucket+`","state":"Paused",`+future+`}`), &job))
	assert.Equal(t, atlas.ExportState("Paused"), job.State)
	assert.False(t, job.State.IsTerminal())
	assert.Nil(t, job.ExportStatus, "absent exportStatus stays nil")
	assert.Nil(t, job.StateReason, "absent stateReason stays nil")
	assert.True(t, job.CreatedAt.IsZero())
	roundTrip[atlas.ExportJob](t, `{"id":"`+testExportID+`","exportBucketId":"`+testBucket+`","state":"Paused"}`)

	var snap atlas.Snapshot
	require.NoError(t, json.Unmarshal([]byte(`{"id":"`+testSnapshot+`","status":"archiving","cloudProvider":"OCI",`+future+`}`), &snap))
	assert.Equal(t, atlas.SnapshotStatus("archiving"), snap.Status)
	assert.False(t, snap.Status.IsTerminal())
	assert.Equal(t, atlas.CloudProvider("OCI"), snap.CloudProvider)
	roundTrip[atlas.Snapshot](t, `{"id":"`+testSnapshot+`","status":"archiving","cloudProvider":"OCI"}`)

	var bucket atlas.ExportBucket
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"`+testBucket+`","bucketName":"b","cloudProvider":"OCI",`+future+`}`), &bucket))
	assert.Equal(t, atlas.CloudProvider("OCI"), bucket.CloudProvider)
	roundTrip[atlas.ExportBucket](t, `{"_id":"`+testBucket+`","bucketName":"b","cloudProvider":"OCI"}`)
}

func TestExportStateIsTerminal(t *testing.T) {
	t.Parallel()
	for state, want := range map[atlas.ExportState]bool{
		atlas.ExportStateQueued:     false,
		atlas.ExportStateInProgress: false,
		atlas.ExportStateSuccessful: true,
		atlas.ExportStateFailed:     true,
		atlas.ExportStateCancelled:  true,
		"":                          false,
		"SomethingNew":              false,
	} {
		assert.Equal(t, want, state.IsTerminal(), "%q", state)
	}
}

func TestSnapshotStatusIsTerminal(t *testing.T) {
	t.Parallel()
	for status, want := range map[atlas.SnapshotStatus]bool{
		atlas.SnapshotStatusQueued:     false,
		atlas.SnapshotStatusInProgress: false,
		atlas.SnapshotStatusCompleted:  true,
		atlas.SnapshotStatusFailed:     true,
		"":                             false,
		"Completed":                    false, // statuses are lower camel case; this is another one
		"archiving":                    false,
	} {
		assert.Equal(t, want, status.IsTerminal(), "%q", status)
	}
}

// fullDocument is a JSON object for a struct type with every exported field that has a json
// name set to a non-zero value chosen by the field's type, so that a field added to a model
// later is covered without editing the tests that use it. Fields named id or _id take id.
func fullDocument(t reflect.Type, id string) map[string]any {
	doc := map[string]any{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == "id" || name == "_id" {
			doc[name] = id
			continue
		}
		doc[name] = fullValue(f.Type, name, id)
	}
	return doc
}

// fullValue is a non-zero JSON value of type t, for the field name.
func fullValue(t reflect.Type, name, id string) any {
	if t == reflect.TypeFor[time.Time]() {
		return "2025-01-02T03:04:05Z"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fullValue(t.Elem(), name, id)
	case reflect.Struct:
		return fullDocument(t, id)
	case reflect.Slice:
		return []any{fullValue(t.Elem(), name, id)}
	case reflect.String, reflect.Interface:
		return "a " + name
	case reflect.Bool:
		return true
	case reflect.Int, reflect.Int32, reflect.Int64:
		return 7
	}
	panic("fullValue: add a value for " + t.String())
}

// TestEveryFieldSurvivesTheWire serves, for every type the SDK returns, a document with every
// field set, reads it through the service that returns it, and checks that encoding the
// result gives the document back: a field the SDK would drop fails here.
func TestEveryFieldSurvivesTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	page := func(item reflect.Type, id string) map[string]any {
		doc := fullDocument(reflect.TypeFor[atlas.Page[struct{}]](), id)
		doc["results"] = []any{fullDocument(item, id)}
		return doc
	}
	job, bucket, snapshot := reflect.TypeFor[atlas.ExportJob](), reflect.TypeFor[atlas.ExportBucket](), reflect.TypeFor[atlas.Snapshot]()
	for _, tc := range []struct {
		name string
		doc  map[string]any
		call func(c *atlas.Client) (any, error)
	}{
		{"ExportJob", fullDocument(job, testExportID), func(c *atlas.Client) (any, error) {
			return c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		}},
		{"ExportJobPage", page(job, testExportID), func(c *atlas.Client) (any, error) {
			return c.Exports.List(ctx, testGroupID, testCluster, nil)
		}},
		{"ExportBucket", fullDocument(bucket, testBucket), func(c *atlas.Client) (any, error) {
			return c.ExportBuckets.Get(ctx, testGroupID, testBucket)
		}},
		{"ExportBucketPage", page(bucket, testBucket), func(c *atlas.Client) (any, error) {
			return c.ExportBuckets.List(ctx, testGroupID, nil)
		}},
		{"Snapshot", fullDocument(snapshot, testSnapshot), func(c *atlas.Client) (any, error) {
			return c.Snapshots.Get(ctx, testGroupID, testCluster, testSnapshot)
		}},
		{"SnapshotPage", page(snapshot, testSnapshot), func(c *atlas.Client) (any, error) {
			return c.Snapshots.ListSharded(ctx, testGroupID, testCluster, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sent := serveDocument(t, http.StatusOK, tc.doc)
			got, err := tc.call(newClient(t, sent.srv, atlas.WithAccessToken(testToken)))
			require.NoError(t, err)
			back, err := json.Marshal(got)
			require.NoError(t, err)
			assert.JSONEq(t, sent.body, string(back))
		})
	}
	t.Run("APIError", func(t *testing.T) {
		t.Parallel()
		doc := fullDocument(reflect.TypeFor[atlas.APIError](), "")
		doc["error"] = http.StatusBadRequest // the document's status is the response's
		sent := serveDocument(t, http.StatusBadRequest, doc)
		_, err := newClient(t, sent.srv, atlas.WithAccessToken(testToken)).Exports.Get(ctx, testGroupID, testCluster, testExportID)
		var apiErr *atlas.APIError
		require.ErrorAs(t, err, &apiErr)
		back, err := json.Marshal(apiErr)
		require.NoError(t, err)
		assert.JSONEq(t, sent.body, string(back))
	})
}

// sentDocument is a server that answers every request with one document.
type sentDocument struct {
	srv  *server
	body string
}

// serveDocument starts a server answering every request with status and doc.
func serveDocument(t *testing.T, status int, doc map[string]any) sentDocument {
	t.Helper()
	body, err := json.Marshal(doc)
	require.NoError(t, err)
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	return sentDocument{srv: srv, body: string(body)}
}
