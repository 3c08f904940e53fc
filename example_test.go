package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/atlas-exports/atlas"
)

// Identifiers used by the examples; the fake below knows this one export job.
const (
	exampleGroupID  = "5f1d2e3c4b5a69788796a5b4"
	exampleExportID = "6a0b1c2d3e4f5a6b7c8d9e0f"
)

// startFakeAtlas serves one export job the way Atlas does, to a service account
// ("example-client-id", "example-secret") or an API key ("example-public", "example-private").
// Examples point the client at it with WithBaseURL; real programs leave that option out.
func startFakeAtlas() *httptest.Server {
	const token = "example-access-token"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "example-client-id" || secret != "example-secret" {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
	})
	jobs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("groupId") != exampleGroupID || r.PathValue("exportId") != exampleExportID {
			writeJSON(w, http.StatusNotFound, notFoundBody)
			return
		}
		writeJSON(w, http.StatusOK, `{"id":"`+exampleExportID+`","snapshotId":"32b6e34b3d91647abb20e7b8",
			"exportBucketId":"7c8d9e0f6a0b1c2d3e4f5a6b","state":"Successful",
			"prefix":"/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
			"exportStatus":{"exportedCollections":7,"totalCollections":7},
			"createdAt":"2025-01-02T03:04:05Z","finishedAt":"2025-01-02T03:34:05Z"}`)
	})
	digest := newDigestServer("example-public", "example-private").wrap(jobs)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports/{exportId}",
		func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer "+token {
				jobs(w, r)
				return
			}
			digest.ServeHTTP(w, r)
		})
	return httptest.NewServer(mux)
}

func ExampleNewClient() {
	fake := startFakeAtlas()
	defer fake.Close()

	// A service account's client ID and secret; in a real program read them from
	// MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET.
	client, err := atlas.NewClient(
		atlas.WithServiceAccount("example-client-id", "example-secret"),
		atlas.WithUserAgent("backup-report/1.0"),
		atlas.WithBaseURL(fake.URL), // leave out to talk to https://cloud.mongodb.com
	)
	if err != nil {
		log.Fatal(err)
	}
	job, err := client.Exports.Get(context.Background(), exampleGroupID, "Cluster0", exampleExportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.ID, job.State)
	// Output: 6a0b1c2d3e4f5a6b7c8d9e0f Successful
}

func ExampleWithDigest() {
	fake := startFakeAtlas()
	defer fake.Close()

	// A programmatic API key; in a real program read it from MONGODB_ATLAS_PUBLIC_KEY and
	// MONGODB_ATLAS_PRIVATE_KEY.
	client, err := atlas.NewClient(
		atlas.WithDigest("example-public", "example-private"),
		atlas.WithBaseURL(fake.URL),
	)
	if err != nil {
		log.Fatal(err)
	}
	job, err := client.Exports.Get(context.Background(), exampleGroupID, "Cluster0", exampleExportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State)
	// Output: Successful
}

func ExampleExportsService_Get() {
	fake := startFakeAtlas()
	defer fake.Close()
	client, err := atlas.NewClient(atlas.WithServiceAccount("example-client-id", "example-secret"), atlas.WithBaseURL(fake.URL))
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	job, err := client.Exports.Get(ctx, exampleGroupID, "Cluster0", exampleExportID)
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

func ExampleAPIError() {
	fake := startFakeAtlas()
	defer fake.Close()
	client, err := atlas.NewClient(atlas.WithServiceAccount("example-client-id", "example-secret"), atlas.WithBaseURL(fake.URL))
	if err != nil {
		log.Fatal(err)
	}

	// An export job the project does not have.
	_, err = client.Exports.Get(context.Background(), exampleGroupID, "Cluster0", "0123456789abcdef01234567")
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
	// 404 RESOURCE_NOT_FOUND
}

func ExampleInvalidArgumentError() {
	client, err := atlas.NewClient(atlas.WithAccessToken("token"))
	if err != nil {
		log.Fatal(err)
	}
	// Arguments are checked against the API's patterns before anything is sent.
	_, err = client.Exports.Get(context.Background(), "not-a-group", "Cluster0", exampleExportID)
	fmt.Println(errors.Is(err, atlas.ErrInvalidArgument))
	var argErr *atlas.InvalidArgumentError
	if errors.As(err, &argErr) {
		fmt.Println(argErr.Name)
	}
	// Output:
	// true
	// groupID
}

func ExampleWithRetry() {
	// A server that is unavailable once, then answers.
	var calls atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusServiceUnavailable, `{"error":503,"errorCode":"SERVICE_UNAVAILABLE"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"id":"`+exampleExportID+`","exportBucketId":"7c8d9e0f6a0b1c2d3e4f5a6b","state":"Queued"}`)
	}))
	defer flaky.Close()

	client, err := atlas.NewClient(
		atlas.WithAccessToken("token"),
		atlas.WithBaseURL(flaky.URL),
		// Up to 5 attempts, waiting from 10ms up to 2s between them (Retry-After is a floor).
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 5, MinBackoff: 10 * time.Millisecond, MaxBackoff: 2 * time.Second}),
	)
	if err != nil {
		log.Fatal(err)
	}
	job, err := client.Exports.Get(context.Background(), exampleGroupID, "Cluster0", exampleExportID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.State, "after", calls.Load(), "requests")
	// Output: Queued after 2 requests
}
