package atlas

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"
)

// ExportsService has the Cloud Backup snapshot export-job operations. Use it as Client.Exports.
type ExportsService struct {
	client *Client

	// ensuring holds the Ensure calls in flight by group, cluster, snapshot and bucket, so
	// that concurrent calls for the same export share one outcome.
	mu       sync.Mutex
	ensuring map[[4]string]*ensureCall
}

// Get returns one export job.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports/{exportId}
//
// It needs the Project Backup Manager role. groupID and exportID must be 24 lowercase hex
// characters and clusterName must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$, else the error wraps
// ErrInvalidArgument and nothing is sent. Expect ErrNotFound for an unknown group, cluster
// or job, ErrUnauthorized and ErrForbidden for credentials, ErrRateLimited and ErrServer
// once retries are spent, ErrInvalidResponse for an answer about another job, and the
// context's error when it ends.
func (s *ExportsService) Get(ctx context.Context, groupID, clusterName, exportID string) (*ExportJob, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/exports", "exportID", exportID)
	if err != nil {
		return nil, err
	}
	r := get(path, MediaType)
	return doOne(ctx, s.client, r, "export job", exportID, func(j *ExportJob) string { return j.ID })
}

// List returns one page of a cluster's export jobs. opts may be nil.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports
//
// It needs the Project Backup Manager role. Bad arguments or options wrap ErrInvalidArgument
// and send nothing; the other errors are those of Get. A page of more than 500 jobs, the
// API's largest, is ErrInvalidResponse.
func (s *ExportsService) List(ctx context.Context, groupID, clusterName string, opts *ListOptions) (*ExportJobPage, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/exports", "", "")
	if err != nil {
		return nil, err
	}
	return listPage[ExportJob](ctx, s.client, path, MediaType, opts)
}

// All walks every export job of a cluster, page by page, starting at opts.PageNum with pages
// of opts.ItemsPerPage (opts may be nil). A page is fetched only when the loop reaches it, and
// none after the loop breaks; a full page is followed by another while the server's next link
// or totalCount says more remain. A failed page is yielded once as (nil, err) and ends the
// walk.
//
// A server that does not page properly cannot keep the walk going: a page that repeats an
// item of the walk (the server ignores pageNum, rotates or alternates its pages, or the list
// changed during the walk) or holds an item without an id ends it with ErrInvalidResponse,
// before any of that page's items; the walk ends once the items seen cover totalCount; and it
// fetches at most 1,000 pages (500,000 jobs at 500 a page), ending with ErrInvalidResponse if
// the server says more follow. So a walk sends at most 1,000 requests, each with its retries.
func (s *ExportsService) All(ctx context.Context, groupID, clusterName string, opts *ListOptions) iter.Seq2[*ExportJob, error] {
	return walk(ctx, opts, func(v *ExportJob) string { return v.ID }, func(ctx context.Context, o *ListOptions) (*Page[ExportJob], error) {
		return s.List(ctx, groupID, clusterName, o)
	})
}

// Create starts exporting a snapshot to an export bucket and returns the new job, usually
// Queued. To export a snapshot at most once, use Ensure.
//
// POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports
//
// It needs the Project Backup Export Operator role. req.SnapshotID and req.ExportBucketID
// must be 24 lowercase hex characters, else the error wraps ErrInvalidArgument and nothing is
// sent. The request is repeated only when the server certainly did not act on it (a 429, or
// a connection never made): a 5xx or a lost connection is returned, since a duplicate export
// costs money. Expect ErrNotFound for an unknown group, cluster, snapshot or bucket, and an
// *APIError with BadRequestDetail for a 400 (a snapshot that is not completed, say).
func (s *ExportsService) Create(ctx context.Context, groupID, clusterName string, req *CreateExportJobRequest) (*ExportJob, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/exports", "", "")
	if err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	r, err := post(path, MediaType, req)
	if err != nil {
		return nil, err
	}
	return doJSON[ExportJob](ctx, s.client, r)
}

// check refuses a request the API would refuse, naming every bad field at once.
func (req *CreateExportJobRequest) check() error {
	if req == nil {
		return invalid("req", "is nil")
	}
	return errors.Join(checkHexID("SnapshotID", req.SnapshotID), checkHexID("ExportBucketID", req.ExportBucketID))
}

// WaitOptions tunes ExportsService.Wait. The zero value polls every 10 seconds, backing off
// to once a minute while nothing changes.
type WaitOptions struct {
	// PollInterval is the wait between polls, and the wait again after any change.
	PollInterval time.Duration
	// MaxInterval caps the wait between polls as it grows while nothing changes.
	MaxInterval time.Duration
	// MaxWait ends the wait with an error matching context.DeadlineExceeded after this long;
	// zero means no limit but the context's.
	MaxWait time.Duration
	// OnProgress, when set, is called with the job after every poll, from Wait's goroutine.
	OnProgress func(*ExportJob)
}

// Wait polls an export job with Get until it reaches a terminal state. opts may be nil.
//
// Successful returns the job and nil. Failed or Cancelled return the job and an
// *ExportFailedError, which matches ErrExportFailed and carries the job's StateReason. A state
// this SDK does not know keeps it waiting. The first poll is immediate; the interval grows by
// half while nothing changes, up to MaxInterval, and returns to PollInterval after a change.
// A failed poll (after Get's own retries) ends the wait with its error; so do the context
// and MaxWait, at once, with an error that says which ended it. In each of these cases the
// job as last seen is returned too, or nil when no poll succeeded.
func (s *ExportsService) Wait(ctx context.Context, groupID, clusterName, exportID string, opts *WaitOptions) (*ExportJob, error) {
	// Checked first: a wait that ends must never name a refused id.
	if _, err := clusterOpPath(ctx, groupID, clusterName, "/backup/exports", "exportID", exportID); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &WaitOptions{}
	}
	return wait(ctx, s.client, poller[ExportJob]{
		what: "export job " + exportID,
		read: func(ctx context.Context) (*ExportJob, error) {
			return s.Get(ctx, groupID, clusterName, exportID)
		},
		outcome: func(job *ExportJob) (bool, error) {
			if !job.State.IsTerminal() {
				return false, nil
			}
			if job.State == ExportStateSuccessful {
				return true, nil
			}
			return true, &ExportFailedError{Job: job, redact: func(t string) string { return s.client.redactor.redact(t) }}
		},
		progressed: jobProgressed,
		onProgress: opts.OnProgress,
		poll:       opts.PollInterval,
		max:        opts.MaxInterval,
		maxWait:    opts.MaxWait,
	})
}

// jobProgressed reports whether a job moved between two polls: its state or its count of
// exported collections changed, or the count appeared or went away.
func jobProgressed(prev, cur *ExportJob) bool {
	if prev.ExportStatus == nil || cur.ExportStatus == nil {
		return prev.State != cur.State || prev.ExportStatus != cur.ExportStatus
	}
	return prev.State != cur.State || *prev.ExportStatus != *cur.ExportStatus
}

// Ensure exports a snapshot to a bucket at most once: it returns the cluster's existing job
// for the same snapshot and bucket, whatever its state but Failed or Cancelled, and creates
// one (with Create) when there is none. Use it where a retried run of a job must not export
// twice.
//
// It costs a walk of the cluster's export jobs (one request per 500 jobs, at most 1,000, as
// All walks) and then at most one create. Within one Client, concurrent Ensure calls for the
// same group, cluster, snapshot and bucket share one outcome: the first walks and creates,
// the others wait for it and get its result (the same *ExportJob, which they must not
// modify) or its error. Each caller waits on its own context; when the first caller's
// context ends first, a waiting caller whose context has not ended starts over. One race
// remains across clients and processes: two that Ensure the same export at the same moment
// can both find none and both create, since the API has no way to make a create
// conditional; run one exporter per cluster. The arguments and errors are those of All and
// Create, and the context's error when a caller's context ends while it waits.
func (s *ExportsService) Ensure(ctx context.Context, groupID, clusterName string, req *CreateExportJobRequest) (*ExportJob, error) {
	if err := checkCluster(ctx, groupID, clusterName); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	key := [4]string{groupID, clusterName, req.SnapshotID, req.ExportBucketID}
	for {
		s.mu.Lock()
		call := s.ensuring[key]
		if call == nil {
			// None in flight: this caller does the work and the later ones wait for it.
			if s.ensuring == nil {
				s.ensuring = make(map[[4]string]*ensureCall)
			}
			call = &ensureCall{done: make(chan struct{})}
			s.ensuring[key] = call
			s.mu.Unlock()
			call.job, call.err = s.ensure(ctx, groupID, clusterName, req)
			call.abandoned = call.err != nil && ctx.Err() != nil
			s.mu.Lock()
			delete(s.ensuring, key)
			s.mu.Unlock()
			close(call.done)
			return call.job, call.err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("atlas: waiting for another Ensure of the same export: %w", ctx.Err())
		case <-call.done:
		}
		if !call.abandoned {
			return call.job, call.err
		}
	}
}

// ensureCall is one Ensure in flight. job and err are set before done is closed.
type ensureCall struct {
	done      chan struct{}
	job       *ExportJob
	err       error
	abandoned bool // the call failed as its caller's context ended: not the others' outcome
}

// ensure is Ensure's work, for the one caller that does it.
func (s *ExportsService) ensure(ctx context.Context, groupID, clusterName string, req *CreateExportJobRequest) (*ExportJob, error) {
	for job, err := range s.All(ctx, groupID, clusterName, &ListOptions{ItemsPerPage: maxPageResults}) {
		if err != nil {
			return nil, err
		}
		if job.SnapshotID == req.SnapshotID && job.ExportBucketID == req.ExportBucketID &&
			job.State != ExportStateFailed && job.State != ExportStateCancelled {
			return job, nil
		}
	}
	return s.Create(ctx, groupID, clusterName, req)
}
