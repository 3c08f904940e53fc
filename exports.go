package atlas

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ExportsService has the Cloud Backup snapshot export-job operations. Use it as Client.Exports.
type ExportsService struct {
	client *Client
}

// Get returns one export job.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports/{exportId}
//
// It needs the Project Backup Manager role. groupID and exportID must be 24 lowercase hex
// characters and clusterName must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$, else the error wraps
// ErrInvalidArgument and nothing is sent. Expect ErrNotFound for an unknown group, cluster
// or job, ErrUnauthorized and ErrForbidden for credentials, ErrRateLimited and ErrServer
// once retries are spent, and the context's error when it ends.
func (s *ExportsService) Get(ctx context.Context, groupID, clusterName, exportID string) (*ExportJob, error) {
	path, err := exportsPath(groupID, clusterName)
	if err != nil {
		return nil, err
	}
	if err := checkHexID("exportID", exportID); err != nil {
		return nil, err
	}
	return doJSON[ExportJob](ctx, s.client, request{method: http.MethodGet, path: path + "/" + url.PathEscape(exportID)})
}

// ListOptions pages List and All. The zero value asks for the first page of 100 jobs, with a
// total count.
type ListOptions struct {
	// PageNum is the page to return, from 1; zero means 1.
	PageNum int
	// ItemsPerPage is the page size, 1 to 500; zero means the server's default of 100.
	ItemsPerPage int
	// OmitCount asks the server not to count all jobs (includeCount=false); TotalCount is then 0.
	OmitCount bool
}

// query checks the options and encodes them.
func (o *ListOptions) query() (url.Values, error) {
	if o == nil {
		return nil, nil
	}
	if o.PageNum < 0 {
		return nil, invalid("PageNum", "must be 1 or more (0 for the first page)")
	}
	if o.ItemsPerPage < 0 || o.ItemsPerPage > 500 {
		return nil, invalid("ItemsPerPage", "must be from 1 to 500 (0 for the server's default of 100)")
	}
	q := url.Values{}
	if o.PageNum > 0 {
		q.Set("pageNum", strconv.Itoa(o.PageNum))
	}
	if o.ItemsPerPage > 0 {
		q.Set("itemsPerPage", strconv.Itoa(o.ItemsPerPage))
	}
	if o.OmitCount {
		q.Set("includeCount", "false")
	}
	return q, nil
}

// List returns one page of a cluster's export jobs. opts may be nil.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports
//
// It needs the Project Backup Manager role. Bad arguments or options wrap ErrInvalidArgument
// and send nothing; the other errors are those of Get.
func (s *ExportsService) List(ctx context.Context, groupID, clusterName string, opts *ListOptions) (*ExportJobPage, error) {
	path, err := exportsPath(groupID, clusterName)
	if err != nil {
		return nil, err
	}
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	return doJSON[ExportJobPage](ctx, s.client, request{method: http.MethodGet, path: path, query: q})
}

// All walks every export job of a cluster, page by page, starting at opts.PageNum with pages
// of opts.ItemsPerPage (opts may be nil). A page is fetched only when the loop reaches it, and
// none after the loop breaks. A failed page is yielded once as (nil, err) and ends the walk.
func (s *ExportsService) All(ctx context.Context, groupID, clusterName string, opts *ListOptions) iter.Seq2[*ExportJob, error] {
	return func(yield func(*ExportJob, error) bool) {
		// Check the caller's options before defaulting the page: a negative PageNum is an
		// error, not the first page.
		if _, err := opts.query(); err != nil {
			yield(nil, err)
			return
		}
		page := ListOptions{}
		if opts != nil {
			page = *opts
		}
		page.PageNum = max(page.PageNum, 1)
		perPage := page.ItemsPerPage
		if perPage == 0 {
			perPage = 100
		}
		for {
			p, err := s.List(ctx, groupID, clusterName, &page)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, job := range p.Results {
				if job == nil {
					continue
				}
				if !yield(job, nil) {
					return
				}
			}
			if !hasNextPage(p, perPage) {
				return
			}
			page.PageNum++
		}
	}
}

// hasNextPage says whether another page follows p: the server's "next" link when it sends
// links, else a full page.
func hasNextPage(p *ExportJobPage, perPage int) bool {
	if len(p.Results) == 0 {
		return false
	}
	for _, l := range p.Links {
		if l.Rel == "next" {
			return true
		}
	}
	return len(p.Links) == 0 && len(p.Results) >= perPage
}

// Create starts exporting a snapshot to an export bucket and returns the new job, usually
// Queued.
//
// POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports
//
// It needs the Project Backup Export Operator role. req.SnapshotID and req.ExportBucketID
// must be 24 lowercase hex characters, else the error wraps ErrInvalidArgument and nothing is
// sent. The request is never sent twice once it may have reached the server, since a
// duplicate export costs money: a 429 or 5xx is returned, not retried. Expect ErrNotFound for
// an unknown group, cluster or snapshot, and an *APIError with BadRequestDetail for a 400.
func (s *ExportsService) Create(ctx context.Context, groupID, clusterName string, req *CreateExportJobRequest) (*ExportJob, error) {
	path, err := exportsPath(groupID, clusterName)
	if err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalid("req", "is nil")
	}
	if err := checkHexID("SnapshotID", req.SnapshotID); err != nil {
		return nil, err
	}
	if err := checkHexID("ExportBucketID", req.ExportBucketID); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("atlas: encoding the request: %w", err)
	}
	return doJSON[ExportJob](ctx, s.client, request{method: http.MethodPost, path: path, body: body, retryUnsafe: true})
}

// WaitOptions tunes Wait. The zero value polls every 10 seconds, backing off to once a minute
// while nothing changes.
type WaitOptions struct {
	// PollInterval is the wait between polls, and the wait again after any change.
	PollInterval time.Duration
	// MaxInterval caps the wait between polls as it grows while nothing changes.
	MaxInterval time.Duration
	// MaxWait ends the wait with context.DeadlineExceeded after this long; zero means no
	// limit but the context's.
	MaxWait time.Duration
	// OnProgress, when set, is called with the job after every poll, from Wait's goroutine.
	OnProgress func(*ExportJob)
}

// Wait defaults.
const (
	DefaultPollInterval = 10 * time.Second
	DefaultMaxInterval  = time.Minute
)

// Wait polls an export job with Get until it reaches a terminal state. opts may be nil.
//
// Successful returns the job and nil. Failed or Cancelled return the job and an
// *ExportFailedError, which matches ErrExportFailed and carries the job's StateReason. A state
// this SDK does not know keeps it waiting. The first poll is immediate; the interval grows by
// half while nothing changes, up to MaxInterval, and returns to PollInterval after a change.
// A failed poll (after Get's own retries) ends the wait with its error; so does the context,
// at once.
func (s *ExportsService) Wait(ctx context.Context, groupID, clusterName, exportID string, opts *WaitOptions) (*ExportJob, error) {
	o := WaitOptions{}
	if opts != nil {
		o = *opts
	}
	if o.PollInterval < 0 || o.MaxInterval < 0 || o.MaxWait < 0 {
		return nil, invalid("WaitOptions", "negative durations are not allowed")
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxInterval == 0 {
		o.MaxInterval = max(DefaultMaxInterval, o.PollInterval)
	}
	if o.MaxInterval < o.PollInterval {
		return nil, invalid("WaitOptions", "MaxInterval is shorter than PollInterval")
	}
	if o.MaxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.MaxWait)
		defer cancel()
	}

	interval := o.PollInterval
	var last *ExportJob
	for {
		job, err := s.Get(ctx, groupID, clusterName, exportID)
		if err != nil {
			return nil, err
		}
		if o.OnProgress != nil {
			o.OnProgress(job)
		}
		switch job.State {
		case ExportStateSuccessful:
			return job, nil
		case ExportStateFailed, ExportStateCancelled:
			return job, &ExportFailedError{Job: job}
		}
		if last != nil && !progressed(last, job) {
			interval = min(interval+interval/2, o.MaxInterval)
		} else {
			interval = o.PollInterval
		}
		last = job
		if err := s.client.sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("atlas: waiting for export job %s: %w", exportID, err)
		}
	}
}

// progressed reports whether a job moved between two polls.
func progressed(prev, cur *ExportJob) bool {
	if prev.State != cur.State {
		return true
	}
	if (prev.ExportStatus == nil) != (cur.ExportStatus == nil) {
		return true
	}
	return prev.ExportStatus != nil && *prev.ExportStatus != *cur.ExportStatus
}

// exportsPath checks the group and cluster and returns the escaped path of their export jobs.
// Segments are escaped even though the checks leave nothing to escape: the path must never
// depend on a check being complete.
func exportsPath(groupID, clusterName string) (string, error) {
	if err := checkHexID("groupID", groupID); err != nil {
		return "", err
	}
	if err := checkClusterName(clusterName); err != nil {
		return "", err
	}
	return "/api/atlas/v2/groups/" + url.PathEscape(groupID) + "/clusters/" + url.PathEscape(clusterName) + "/backup/exports", nil
}

// checkHexID checks an id against the spec's ^([a-f0-9]{24})$. The error does not repeat the
// value: a caller who swapped arguments might have passed a secret.
func checkHexID(name, id string) error {
	if len(id) != 24 {
		return invalid(name, fmt.Sprintf("must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got %d characters", len(id)))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return invalid(name, fmt.Sprintf("must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got a disallowed character at position %d", i+1))
		}
	}
	return nil
}

// checkClusterName checks a cluster name against the spec's ^[a-zA-Z0-9][a-zA-Z0-9-]*$.
func checkClusterName(name string) error {
	if name == "" {
		return invalid("clusterName", "is empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' && i > 0
		if !ok {
			return invalid("clusterName", fmt.Sprintf("must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$, got a disallowed character at position %d", i+1))
		}
	}
	return nil
}
