package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Examples of the services, one operation each, in the order of an export's lifecycle. Like
// those of example_test.go they run against atlastest.

func ExampleExportBucketsService_Create() {
	srv := startFake()
	defer srv.Close()
	srv.AddGroup(groupID)
	client := exampleClient(srv)
	ctx := context.Background()

	// Each cloud needs its own fields: AWS a bucket and an IAM role, Azure a role and the
	// storage account's URL, GCP a bucket and a role.
	bucket, err := client.ExportBuckets.Create(ctx, groupID, &atlas.CreateExportBucketRequest{
		CloudProvider: atlas.CloudProviderAWS, BucketName: "nightly-exports", IAMRoleID: roleID,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bucket.BucketName, bucket.CloudProvider, bucket.Region, len(bucket.ID))

	// A missing field is refused before anything is sent.
	_, err = client.ExportBuckets.Create(ctx, groupID, &atlas.CreateExportBucketRequest{
		CloudProvider: atlas.CloudProviderAzure, RoleID: roleID,
	})
	fmt.Println(err)
	// Output:
	// nightly-exports AWS us-east-1 24
	// atlas: invalid ServiceURL: is required for AZURE
}

func ExampleSnapshotsService_Latest() {
	srv := startFake()
	defer srv.Close()
	day := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	for i, status := range []atlas.SnapshotStatus{atlas.SnapshotStatusCompleted, atlas.SnapshotStatusCompleted, atlas.SnapshotStatusInProgress} {
		srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: status, CreatedAt: day.AddDate(0, 0, i)})
	}
	srv.AddSnapshot(groupID, "Cluster1", &atlas.Snapshot{Status: atlas.SnapshotStatusFailed})
	client := exampleClient(srv)
	ctx := context.Background()

	// The newest completed snapshot, whatever the order of the list.
	snap, err := client.Snapshots.Latest(ctx, groupID, cluster)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap.Status, snap.CreatedAt.Format(time.DateOnly))

	_, err = client.Snapshots.Latest(ctx, groupID, "Cluster1")
	fmt.Println("none completed:", errors.Is(err, atlas.ErrNotFound))
	// Output:
	// completed 2025-01-03
	// none completed: true
}

// Creating an export job needs, as on Atlas, a completed snapshot of the cluster and an export
// bucket of the project: seed a cluster, a snapshot and a bucket before Create.
func ExampleExportsService_Create() {
	srv := startFake()
	defer srv.Close()
	srv.AddCluster(groupID, cluster)
	snapshotID := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{})                   // completed unless told otherwise
	bucketID := srv.AddExportBucket(groupID, &atlas.ExportBucket{BucketName: "nightly"}) // an AWS bucket unless told otherwise
	client := exampleClient(srv)
	ctx := context.Background()

	job, err := client.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{
		SnapshotID:     snapshotID,
		ExportBucketID: bucketID,
		CustomData:     []atlas.Label{{Key: "team", Value: "analytics"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State, job.SnapshotID == snapshotID, job.CustomData)

	// A snapshot the cluster does not have is refused by the server...
	_, err = client.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{
		SnapshotID: "0123456789abcdef01234567", ExportBucketID: bucketID,
	})
	var apiErr *atlas.APIError
	fmt.Println(errors.As(err, &apiErr) && apiErr.ErrorCode == "SNAPSHOT_NOT_FOUND", errors.Is(err, atlas.ErrNotFound))

	// ... and an id that is not one, before anything is sent.
	_, err = client.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{SnapshotID: "latest", ExportBucketID: bucketID})
	fmt.Println(errors.Is(err, atlas.ErrInvalidArgument), err)
	// Output:
	// Queued true [{team analytics}]
	// true true
	// true atlas: invalid SnapshotID: must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got 6 characters
}

func ExampleExportsService_Ensure() {
	srv := startFake()
	defer srv.Close()
	req := &atlas.CreateExportJobRequest{
		SnapshotID:     srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{}),
		ExportBucketID: srv.AddExportBucket(groupID, &atlas.ExportBucket{}),
	}
	client := exampleClient(srv)
	ctx := context.Background()

	// A nightly job that is run twice exports once: the second run finds the first's job.
	first, err := client.Exports.Ensure(ctx, groupID, cluster, req)
	if err != nil {
		log.Fatal(err)
	}
	second, err := client.Exports.Ensure(ctx, groupID, cluster, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.ID == second.ID, "creates:", srv.Requests(atlastest.RouteCreateExport))

	// A job that failed does not count: Ensure starts another.
	srv.FailExport(first.ID, atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED"})
	third, err := client.Exports.Ensure(ctx, groupID, cluster, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(third.ID == first.ID, "creates:", srv.Requests(atlastest.RouteCreateExport))
	// Output:
	// true creates: 1
	// false creates: 2
}

func ExampleExportsService_Get() {
	srv := startFake()
	defer srv.Close()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{
		ID:           exportID,
		State:        atlas.ExportStateSuccessful,
		Prefix:       "/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 7, TotalCollections: 7},
		CreatedAt:    created,
		FinishedAt:   created.Add(30 * time.Minute),
	})
	client := exampleClient(srv)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	job, err := client.Exports.Get(ctx, groupID, cluster, exportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", job.State, "terminal:", job.State.IsTerminal())
	if s := job.ExportStatus; s != nil {
		fmt.Printf("exported %d of %d collections\n", s.ExportedCollections, s.TotalCollections)
	}
	fmt.Println("took:", job.FinishedAt.Sub(job.CreatedAt))
	fmt.Println("objects under:", job.Prefix)
	// Output:
	// state: Successful terminal: true
	// exported 7 of 7 collections
	// took: 30m0s
	// objects under: /exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045
}

// addJobs stores five finished jobs, ...c0 to ...c4.
func addJobs(srv *atlastest.Server) {
	for i := range 5 {
		srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: fmt.Sprintf("5f4007f327a3bd7b6f4103c%d", i), State: atlas.ExportStateSuccessful})
	}
}

func ExampleExportsService_List() {
	srv := startFake()
	defer srv.Close()
	addJobs(srv)
	client := exampleClient(srv)

	page, err := client.Exports.List(context.Background(), groupID, cluster, &atlas.ListOptions{PageNum: 2, ItemsPerPage: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("jobs in all:", page.TotalCount)
	for _, job := range page.Results {
		fmt.Println(job.ID, job.State)
	}
	// Output:
	// jobs in all: 5
	// 5f4007f327a3bd7b6f4103c2 Successful
	// 5f4007f327a3bd7b6f4103c3 Successful
}

func ExampleExportsService_All() {
	srv := startFake()
	defer srv.Close()
	addJobs(srv)
	client := exampleClient(srv)

	// Pages of two jobs are fetched as the loop reaches them; breaking out fetches no more.
	for job, err := range client.Exports.All(context.Background(), groupID, cluster, &atlas.ListOptions{ItemsPerPage: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(job.ID)
		if job.ID == "5f4007f327a3bd7b6f4103c2" {
			break
		}
	}
	fmt.Println("pages fetched:", srv.Requests(atlastest.RouteListExports))
	// Output:
	// 5f4007f327a3bd7b6f4103c0
	// 5f4007f327a3bd7b6f4103c1
	// 5f4007f327a3bd7b6f4103c2
	// pages fetched: 2
}

func ExampleExportsService_Wait() {
	// The fake advances a job one step each time it is read.
	srv := startFake(atlastest.WithAutoAdvance())
	defer srv.Close()
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{
		State:        atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 3},
	})
	client := exampleClient(srv)

	job, err := client.Exports.Wait(context.Background(), groupID, cluster, id, &atlas.WaitOptions{
		PollInterval: time.Millisecond, // the default, 10s backing off to 1m, suits Atlas
		MaxWait:      time.Minute,      // ends the wait with an error matching context.DeadlineExceeded
		OnProgress: func(j *atlas.ExportJob) {
			if s := j.ExportStatus; s != nil { // Atlas may leave it out
				fmt.Printf("%s %d/%d\n", j.State, s.ExportedCollections, s.TotalCollections)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("done:", job.State)
	// Output:
	// InProgress 0/3
	// InProgress 1/3
	// InProgress 2/3
	// Successful 3/3
	// done: Successful
}

func ExampleExportsService_Wait_failed() {
	srv := startFake()
	defer srv.Close()
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{State: atlas.ExportStateInProgress})
	srv.FailExport(id, atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "Access to the bucket was denied."})
	client := exampleClient(srv)

	job, err := client.Exports.Wait(context.Background(), groupID, cluster, id, nil)
	var failed *atlas.ExportFailedError
	if errors.As(err, &failed) {
		reason := "" // StateReason, like ExportStatus, may be absent
		if r := failed.Job.StateReason; r != nil {
			reason = r.ErrorCode
		}
		fmt.Println(job.State, reason, errors.Is(err, atlas.ErrExportFailed))
	}
	// Output:
	// Failed EXPORT_BUCKET_ACCESS_DENIED true
}
