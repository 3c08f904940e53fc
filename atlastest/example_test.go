package atlastest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// The fake with a service account: fetch a token, then poll a job until it is done. With
// WithAutoAdvance each poll moves the job one step.
func Example() {
	srv := atlastest.NewServer(atlastest.WithAutoAdvance())
	defer srv.Close()
	const groupID = "5f4d3c2b1a0f9e8d7c6b5a49"
	id := srv.AddExportJob(groupID, "Cluster0", &atlas.ExportJob{
		ExportBucketID: "7b2c3d4e5f60718293a4b5c6",
		State:          atlas.ExportStateQueued,
		ExportStatus:   &atlas.ExportStatus{TotalCollections: 2},
	})
	token := fetchToken(srv)

	jobURL := srv.URL + "/api/atlas/v2/groups/" + groupID + "/clusters/Cluster0/backup/exports/" + id
	for {
		var job atlas.ExportJob
		send(http.MethodGet, jobURL, token, "", &job)
		fmt.Println(job.State, job.ExportStatus.ExportedCollections, "of", job.ExportStatus.TotalCollections)
		if job.State.IsTerminal() {
			break
		}
	}
	fmt.Println("token grants:", srv.TokenGrants())
	// Output:
	// InProgress 0 of 2
	// InProgress 1 of 2
	// Successful 2 of 2
	// token grants: 1
}

// Creating an export job needs a completed snapshot of the cluster and an export bucket of
// the project, as in Atlas: seed them first.
func ExampleServer_AddSnapshot() {
	srv := atlastest.NewServer()
	defer srv.Close()
	const groupID = "5f4d3c2b1a0f9e8d7c6b5a49"
	snapshotID := srv.AddSnapshot(groupID, "Cluster0", &atlas.Snapshot{})                // completed unless told otherwise
	bucketID := srv.AddExportBucket(groupID, &atlas.ExportBucket{BucketName: "nightly"}) // an AWS bucket unless told otherwise
	queued := srv.AddSnapshot(groupID, "Cluster0", &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	token := fetchToken(srv)

	exportsURL := srv.URL + "/api/atlas/v2/groups/" + groupID + "/clusters/Cluster0/backup/exports"
	for _, ids := range [][2]string{{snapshotID, bucketID}, {snapshotID, "ffffffffffffffffffffffff"}, {queued, bucketID}} {
		var answer struct {
			State     atlas.ExportState `json:"state"`
			ErrorCode string            `json:"errorCode"`
		}
		body := fmt.Sprintf(`{"snapshotId":%q,"exportBucketId":%q}`, ids[0], ids[1])
		status := send(http.MethodPost, exportsURL, token, body, &answer)
		fmt.Println(status, answer.State+atlas.ExportState(answer.ErrorCode))
	}
	// Output:
	// 200 Queued
	// 404 EXPORT_BUCKET_NOT_FOUND
	// 400 CANNOT_EXPORT_INCOMPLETE_SNAPSHOT
}

// fetchToken grants an access token to the fake's service account.
func fetchToken(srv *atlastest.Server) string {
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/token",
		strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(srv.ClientID), url.QueryEscape(srv.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	return tok.AccessToken
}

// send makes one API request with the token, a JSON body when body is not empty, and the
// export-job resource version; it decodes the answer into v and returns the status.
func send(method, url, token, body string, v any) int {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", atlas.MediaType)
	if body != "" {
		req.Header.Set("Content-Type", atlas.MediaType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
	return resp.StatusCode
}
