package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// These examples run against atlastest, the in-memory fake Atlas, so that go test checks their
// output. Against Atlas itself, leave out WithBaseURL and use your own credentials.

// The examples' project, cluster and export job.
const (
	groupID  = "5f1d2e3c4b5a69788796a5b4"
	cluster  = "Cluster0"
	exportID = "6a0b1c2d3e4f5a6b7c8d9e0f"
	roleID   = "668c5f0ed436263134491592" // an AWS IAM role Atlas may assume
)

// fakeOptions are added to every fake the examples start; TestExamplesSurviveSparseResponses
// sets WithSparseResponses, so that each example also runs against answers without any
// optional field.
var fakeOptions []atlastest.Option

// startFake starts the fake Atlas an example runs against: atlastest.NewServer(opts...).
func startFake(opts ...atlastest.Option) *atlastest.Server {
	return atlastest.NewServer(append(opts, fakeOptions...)...)
}

// exampleClient returns a client that logs in to srv as its service account, as
// ExampleNewClient shows in full.
func exampleClient(srv *atlastest.Server, opts ...atlas.Option) *atlas.Client {
	client, err := atlas.NewClient(append([]atlas.Option{
		atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret),
		atlas.WithBaseURL(srv.URL),
	}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return client
}

// The whole workflow: a bucket to export to, a snapshot taken and waited for, an export of it
// made at most once, and waited for.
func Example() {
	// Each read of an export job or snapshot moves it one step, as time would on Atlas.
	srv := startFake(atlastest.WithAutoAdvance())
	defer srv.Close()
	srv.AddCluster(groupID, cluster)

	client, err := atlas.NewClient(
		atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret),
		atlas.WithBaseURL(srv.URL), // leave out for https://cloud.mongodb.com
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	bucket, err := client.ExportBuckets.Create(ctx, groupID, &atlas.CreateExportBucketRequest{
		CloudProvider: atlas.CloudProviderAWS, BucketName: "nightly-exports", IAMRoleID: roleID,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bucket:", bucket.BucketName, bucket.CloudProvider)

	snap, err := client.Snapshots.Take(ctx, groupID, cluster, &atlas.TakeSnapshotRequest{Description: "nightly", RetentionInDays: 7})
	if err != nil {
		log.Fatal(err)
	}
	// Poll every millisecond for the example; the default, 10s backing off to 1m, suits Atlas.
	snap, err = client.Snapshots.Wait(ctx, groupID, cluster, snap.ID, &atlas.SnapshotWaitOptions{PollInterval: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("snapshot:", snap.Status)

	// Ensure, unlike Create, finds the export a previous run started instead of paying twice.
	req := &atlas.CreateExportJobRequest{SnapshotID: snap.ID, ExportBucketID: bucket.ID}
	job, err := client.Exports.Ensure(ctx, groupID, cluster, req)
	if err != nil {
		log.Fatal(err)
	}
	job, err = client.Exports.Wait(ctx, groupID, cluster, job.ID, &atlas.WaitOptions{
		PollInterval: time.Millisecond,
		OnProgress: func(j *atlas.ExportJob) {
			if s := j.ExportStatus; s != nil { // Atlas may leave it out
				fmt.Printf("export: %s %d/%d\n", j.State, s.ExportedCollections, s.TotalCollections)
			}
		},
	})
	if err != nil {
		log.Fatal(err) // an *ExportFailedError says why, when the export failed
	}
	again, err := client.Exports.Ensure(ctx, groupID, cluster, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ensured again:", again.ID == job.ID, again.State)
	// Output:
	// bucket: nightly-exports AWS
	// snapshot: completed
	// export: InProgress 0/3
	// export: InProgress 1/3
	// export: InProgress 2/3
	// export: Successful 3/3
	// ensured again: true Successful
}

func ExampleNewClient() {
	srv := startFake()
	defer srv.Close()
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: exportID, State: atlas.ExportStateSuccessful})

	// A service account's client ID and secret; in a real program read them from
	// MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET, or use NewClientFromEnv.
	client, err := atlas.NewClient(
		atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret),
		atlas.WithUserAgent("backup-report/1.0"),
		atlas.WithBaseURL(srv.URL), // leave out to talk to https://cloud.mongodb.com
	)
	if err != nil {
		log.Fatal(err)
	}
	job, err := client.Exports.Get(context.Background(), groupID, cluster, exportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.ID, job.State)
	// Output: 6a0b1c2d3e4f5a6b7c8d9e0f Successful
}

func ExampleNewClientFromEnv() {
	// With MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET set (or an API key in
	// MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY, or a token in
	// MONGODB_ATLAS_ACCESS_TOKEN), and MONGODB_ATLAS_BASE_URL when not talking to Atlas:
	client, err := atlas.NewClientFromEnv(atlas.WithUserAgent("nightly-export/1.0"))
	if err != nil {
		log.Fatal(err) // names the variables missing or in conflict, never their values
	}
	snap, err := client.Snapshots.Latest(context.Background(), groupID, cluster)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("latest snapshot:", snap.ID, snap.CreatedAt)
}

func ExampleWithDigest() {
	srv := startFake()
	defer srv.Close()
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: exportID, State: atlas.ExportStateSuccessful})

	// A programmatic API key; in a real program read it from MONGODB_ATLAS_PUBLIC_API_KEY and
	// MONGODB_ATLAS_PRIVATE_API_KEY.
	client, err := atlas.NewClient(atlas.WithDigest(srv.PublicKey, srv.PrivateKey), atlas.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	job, err := client.Exports.Get(context.Background(), groupID, cluster, exportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State)
	// Output: Successful
}

func ExampleWithRetry() {
	srv := startFake()
	defer srv.Close()
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: exportID, State: atlas.ExportStateQueued})
	// The server is unavailable once, then answers.
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 503})

	// Up to 5 attempts, waiting from 10ms up to 2s between them (Retry-After is a floor).
	client := exampleClient(srv, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 5, MinBackoff: 10 * time.Millisecond, MaxBackoff: 2 * time.Second}))
	job, err := client.Exports.Get(context.Background(), groupID, cluster, exportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State, "after", srv.Requests(atlastest.RouteGetExport), "requests")
	// Output: Queued after 2 requests
}

func ExampleClient_Do() {
	srv := startFake()
	defer srv.Close()
	srv.AddExportBucket(groupID, &atlas.ExportBucket{BucketName: "nightly-exports"})
	client := exampleClient(srv)
	ctx := context.Background()

	// Any operation, with the client's auth, retries and typed errors; the version is the
	// operation's resource version, from the API's documentation.
	var page struct {
		Results []struct {
			BucketName string `json:"bucketName"`
		} `json:"results"`
	}
	err := client.Do(ctx, &atlas.Request{
		Method:  "GET",
		Path:    "/api/atlas/v2/groups/" + url.PathEscape(groupID) + "/backup/exportBuckets",
		Query:   url.Values{"itemsPerPage": {"10"}},
		Version: "2024-05-30",
	}, &page)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.Results[0].BucketName)

	// The fake serves only the export workflow: anything else is not found.
	err = client.Do(ctx, &atlas.Request{Method: "GET", Path: "/api/atlas/v2/groups/" + groupID + "/clusters", Version: "2023-01-01"}, nil)
	fmt.Println(errors.Is(err, atlas.ErrNotFound))
	// Output:
	// nightly-exports
	// true
}

func ExampleAPIError() {
	srv := startFake()
	defer srv.Close()
	srv.AddCluster(groupID, cluster)
	client := exampleClient(srv)

	// An export job the cluster does not have.
	_, err := client.Exports.Get(context.Background(), groupID, cluster, "0123456789abcdef01234567")
	switch {
	case errors.Is(err, atlas.ErrNotFound):
		fmt.Println("no such export job")
	case errors.Is(err, atlas.ErrUnauthorized), errors.Is(err, atlas.ErrForbidden):
		fmt.Println("check the credentials and their roles")
	case err != nil:
		log.Fatal(err)
	}
	// The details Atlas sent are on the *APIError.
	var apiErr *atlas.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.ErrorCode)
	}
	// Output:
	// no such export job
	// 404 EXPORT_JOB_NOT_FOUND
}

func ExampleInvalidArgumentError() {
	client, err := atlas.NewClient(atlas.WithAccessToken("token"))
	if err != nil {
		log.Fatal(err)
	}
	// Arguments are checked against the API's patterns before anything is sent.
	_, err = client.Exports.Get(context.Background(), "not-a-group", cluster, exportID)
	fmt.Println(errors.Is(err, atlas.ErrInvalidArgument))
	var argErr *atlas.InvalidArgumentError
	if errors.As(err, &argErr) {
		fmt.Println(argErr.Name)
	}
	// Output:
	// true
	// groupID
}
