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

// These examples run against atlastest, the in-memory fake Atlas, so that their output is
// checked by go test. Against Atlas itself, leave out WithBaseURL and use your own credentials.

// fakeAtlas starts the fake with one empty cluster and returns it with a client that logs in
// with the fake's API key, as ExampleExportsService_Get_atlastest shows in full.
func fakeAtlas(opts ...atlastest.Option) (*atlastest.Server, *atlas.Client) {
	srv := atlastest.NewServer(opts...)
	srv.AddCluster("32b6e34b3d91647abb20e7b8", "Cluster0")
	client, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	if err != nil {
		log.Fatal(err)
	}
	return srv, client
}

func ExampleExportsService_Get_atlastest() {
	srv := atlastest.NewServer()
	defer srv.Close()
	srv.AddExportJob("32b6e34b3d91647abb20e7b8", "Cluster0", &atlas.ExportJob{
		ID:           "5f4007f327a3bd7b6f4103c5",
		State:        atlas.ExportStateInProgress,
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 4, TotalCollections: 12},
	})

	client, err := atlas.NewClient(
		atlas.WithBaseURL(srv.URL), // leave out for https://cloud.mongodb.com
		atlas.WithDigest(srv.PublicKey, srv.PrivateKey),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	job, err := client.Exports.Get(ctx, "32b6e34b3d91647abb20e7b8", "Cluster0", "5f4007f327a3bd7b6f4103c5")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d of %d collections\n", job.State, job.ExportStatus.ExportedCollections, job.ExportStatus.TotalCollections)

	_, err = client.Exports.Get(ctx, "32b6e34b3d91647abb20e7b8", "Cluster0", "5f4007f327a3bd7b6f4103c6")
	fmt.Println("not found:", errors.Is(err, atlas.ErrNotFound))
	// Output:
	// InProgress: 4 of 12 collections
	// not found: true
}

func ExampleExportsService_List_atlastest() {
	srv, client := fakeAtlas()
	defer srv.Close()
	for i := range 5 {
		srv.AddExportJob("32b6e34b3d91647abb20e7b8", "Cluster0", &atlas.ExportJob{
			ID: fmt.Sprintf("5f4007f327a3bd7b6f4103c%d", i), State: atlas.ExportStateSuccessful,
		})
	}

	page, err := client.Exports.List(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0",
		&atlas.ListOptions{PageNum: 2, ItemsPerPage: 2})
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

func ExampleExportsService_All_atlastest() {
	srv, client := fakeAtlas()
	defer srv.Close()
	for i := range 5 {
		srv.AddExportJob("32b6e34b3d91647abb20e7b8", "Cluster0", &atlas.ExportJob{
			ID: fmt.Sprintf("5f4007f327a3bd7b6f4103c%d", i), State: atlas.ExportStateSuccessful,
		})
	}

	// Pages of two jobs are fetched as the loop reaches them; breaking out fetches no more.
	for job, err := range client.Exports.All(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0",
		&atlas.ListOptions{ItemsPerPage: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(job.ID)
		if job.ID == "5f4007f327a3bd7b6f4103c2" {
			break
		}
	}
	// Output:
	// 5f4007f327a3bd7b6f4103c0
	// 5f4007f327a3bd7b6f4103c1
	// 5f4007f327a3bd7b6f4103c2
}

func ExampleExportsService_Create_atlastest() {
	srv, client := fakeAtlas()
	defer srv.Close()

	job, err := client.Exports.Create(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0",
		&atlas.CreateExportJobRequest{
			SnapshotID:     "5e4f3a2b1c0d9e8f7a6b5c4d",
			ExportBucketID: "6a7b8c9d0e1f2a3b4c5d6e7f",
			CustomData:     []atlas.Label{{Key: "team", Value: "analytics"}},
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State, job.SnapshotID, job.CustomData)

	// Ids are checked before anything is sent.
	_, err = client.Exports.Create(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0",
		&atlas.CreateExportJobRequest{SnapshotID: "latest", ExportBucketID: "6a7b8c9d0e1f2a3b4c5d6e7f"})
	fmt.Println(errors.Is(err, atlas.ErrInvalidArgument), err)
	// Output:
	// Queued 5e4f3a2b1c0d9e8f7a6b5c4d [{team analytics}]
	// true atlas: invalid SnapshotID: must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got 6 characters
}

func ExampleExportsService_Wait_atlastest() {
	// The fake advances a job one step each time it is read.
	srv, client := fakeAtlas(atlastest.WithAutoAdvance())
	defer srv.Close()
	id := srv.AddExportJob("32b6e34b3d91647abb20e7b8", "Cluster0", &atlas.ExportJob{
		State:        atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 3},
	})

	job, err := client.Exports.Wait(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0", id, &atlas.WaitOptions{
		PollInterval: time.Millisecond, // the default, 10s, suits Atlas
		OnProgress: func(j *atlas.ExportJob) {
			fmt.Printf("%s %d/%d\n", j.State, j.ExportStatus.ExportedCollections, j.ExportStatus.TotalCollections)
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
	srv, client := fakeAtlas()
	defer srv.Close()
	id := srv.AddExportJob("32b6e34b3d91647abb20e7b8", "Cluster0", &atlas.ExportJob{State: atlas.ExportStateInProgress})
	srv.FailExport(id, atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "Access to the bucket was denied."})

	job, err := client.Exports.Wait(context.Background(), "32b6e34b3d91647abb20e7b8", "Cluster0", id, nil)
	var failed *atlas.ExportFailedError
	if errors.As(err, &failed) {
		fmt.Println(job.State, failed.Job.StateReason.ErrorCode, errors.Is(err, atlas.ErrExportFailed))
	}
	// Output:
	// Failed EXPORT_BUCKET_ACCESS_DENIED true
}
