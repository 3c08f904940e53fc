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

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/token",
		strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(srv.ClientID), url.QueryEscape(srv.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	jobURL := srv.URL + "/api/atlas/v2/groups/" + groupID + "/clusters/Cluster0/backup/exports/" + id
	for {
		req, _ := http.NewRequest(http.MethodGet, jobURL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Accept", "application/vnd.atlas.2025-03-12+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var job atlas.ExportJob
		_ = json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
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
