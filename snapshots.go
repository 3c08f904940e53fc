package atlas

import (
	"context"
	"iter"
	"time"
)

// SnapshotsService has the Cloud Backup snapshot operations of replica sets and sharded
// clusters: where the snapshot an export needs comes from. Use it as Client.Snapshots.
type SnapshotsService struct {
	client *Client
}

// List returns one page of a replica set's snapshots. opts may be nil.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots
//
// It needs the Project Read Only role. The arguments are checked and the errors are those of
// ExportsService.List.
func (s *SnapshotsService) List(ctx context.Context, groupID, clusterName string, opts *ListOptions) (*SnapshotPage, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/snapshots", "", "")
	if err != nil {
		return nil, err
	}
	return listPage[Snapshot](ctx, s.client, path, MediaType, opts)
}

// ListSharded returns a sharded cluster's snapshots.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots/shardedClusters
//
// It needs the Project Read Only role. The API declares no paging for this list, so opts
// must be nil or zero: a field set wraps ErrInvalidArgument and sends nothing, rather than
// being dropped unseen. The other errors are those of List.
func (s *SnapshotsService) ListSharded(ctx context.Context, groupID, clusterName string, opts *ListOptions) (*SnapshotPage, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/snapshots/shardedClusters", "", "")
	if err != nil {
		return nil, err
	}
	if opts != nil && *opts != (ListOptions{}) {
		return nil, invalid("opts", "the sharded-cluster snapshot list is not paged: pass nil")
	}
	return listPage[Snapshot](ctx, s.client, path, MediaType, nil)
}

// All walks every snapshot of a replica set, page by page, as ExportsService.All walks jobs.
func (s *SnapshotsService) All(ctx context.Context, groupID, clusterName string, opts *ListOptions) iter.Seq2[*Snapshot, error] {
	return walk(ctx, opts, func(v *Snapshot) string { return v.ID }, func(ctx context.Context, o *ListOptions) (*Page[Snapshot], error) {
		return s.List(ctx, groupID, clusterName, o)
	})
}

// Get returns one replica-set snapshot.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots/{snapshotId}
//
// It needs the Project Read Only role. Expect ErrNotFound for an unknown group, cluster or
// snapshot, ErrInvalidResponse for an answer about another snapshot, and the errors of List.
func (s *SnapshotsService) Get(ctx context.Context, groupID, clusterName, snapshotID string) (*Snapshot, error) {
	return s.get(ctx, groupID, clusterName, "/backup/snapshots", snapshotID)
}

// GetSharded returns one sharded-cluster snapshot.
//
// GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots/shardedCluster/{snapshotId}
//
// It needs the Project Read Only role. The errors are those of Get.
func (s *SnapshotsService) GetSharded(ctx context.Context, groupID, clusterName, snapshotID string) (*Snapshot, error) {
	return s.get(ctx, groupID, clusterName, "/backup/snapshots/shardedCluster", snapshotID)
}

// get reads the snapshot snapshotID of the collection coll under a cluster.
func (s *SnapshotsService) get(ctx context.Context, groupID, clusterName, coll, snapshotID string) (*Snapshot, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, coll, "snapshotID", snapshotID)
	if err != nil {
		return nil, err
	}
	r := get(path, MediaType)
	return doOne(ctx, s.client, r, "snapshot", snapshotID, func(v *Snapshot) string { return v.ID })
}

// Take starts an on-demand snapshot of a replica set and returns it, usually queued; Wait
// follows it until it completes. req may be nil.
//
// POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots
//
// It needs the Project Backup Creator role. A negative RetentionInDays wraps
// ErrInvalidArgument and sends nothing. Like every create it is repeated only when the
// server certainly did not act on it. Expect the errors of List, and a 409 *APIError while
// another snapshot is being taken.
func (s *SnapshotsService) Take(ctx context.Context, groupID, clusterName string, req *TakeSnapshotRequest) (*Snapshot, error) {
	path, err := clusterOpPath(ctx, groupID, clusterName, "/backup/snapshots", "", "")
	if err != nil {
		return nil, err
	}
	if req == nil {
		req = &TakeSnapshotRequest{}
	}
	if req.RetentionInDays < 0 {
		return nil, invalid("RetentionInDays", "must be at least 1 (0 to leave it to Atlas)")
	}
	r, err := post(path, MediaType, req)
	if err != nil {
		return nil, err
	}
	return doJSON[Snapshot](ctx, s.client, r)
}

// Latest returns the newest completed snapshot of a replica set: the one a nightly export
// wants. It walks the cluster's snapshots (one request per page of 500) and picks the
// completed one with the latest CreatedAt. A cluster without one is ErrNotFound. It ends as
// All does against a server that does not page properly: ErrInvalidResponse, after at most
// 1,000 page requests.
func (s *SnapshotsService) Latest(ctx context.Context, groupID, clusterName string) (*Snapshot, error) {
	var latest *Snapshot
	for snap, err := range s.All(ctx, groupID, clusterName, &ListOptions{ItemsPerPage: maxPageResults}) {
		if err != nil {
			return nil, err
		}
		if snap.Status == SnapshotStatusCompleted && (latest == nil || snap.CreatedAt.After(latest.CreatedAt)) {
			latest = snap
		}
	}
	if latest == nil {
		path := apiPath(groupID, clusterName, "/backup/snapshots", "")
		return nil, &RequestError{Method: "GET", Path: path, Err: noCompletedSnapshot{}}
	}
	return latest, nil
}

// noCompletedSnapshot is Latest's answer for a cluster without a completed snapshot.
type noCompletedSnapshot struct{}

// Error says that there is none.
func (noCompletedSnapshot) Error() string { return "no completed snapshot" }

// Is matches ErrNotFound.
func (noCompletedSnapshot) Is(target error) bool { return target == ErrNotFound }

// SnapshotWaitOptions tunes SnapshotsService.Wait as WaitOptions tunes ExportsService.Wait,
// with the same zero value.
type SnapshotWaitOptions struct {
	// PollInterval, MaxInterval and MaxWait are those of WaitOptions.
	PollInterval time.Duration
	MaxInterval  time.Duration
	MaxWait      time.Duration
	// OnProgress, when set, is called with the snapshot after every poll, from Wait's
	// goroutine.
	OnProgress func(*Snapshot)
}

// Wait polls a replica-set snapshot with Get until it is completed or failed. opts may be nil.
//
// Completed returns the snapshot and nil; failed returns it and a *SnapshotFailedError, which
// matches ErrSnapshotFailed. A status this SDK does not know keeps it waiting. Polling backs
// off and ends as ExportsService.Wait does, and returns the snapshot as last seen with the
// error when a poll fails, the context ends or MaxWait passes.
func (s *SnapshotsService) Wait(ctx context.Context, groupID, clusterName, snapshotID string, opts *SnapshotWaitOptions) (*Snapshot, error) {
	// Checked first: a wait that ends must never name a refused id.
	if _, err := clusterOpPath(ctx, groupID, clusterName, "/backup/snapshots", "snapshotID", snapshotID); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &SnapshotWaitOptions{}
	}
	return wait(ctx, s.client, poller[Snapshot]{
		what: "snapshot " + snapshotID,
		read: func(ctx context.Context) (*Snapshot, error) {
			return s.Get(ctx, groupID, clusterName, snapshotID)
		},
		outcome: func(snap *Snapshot) (bool, error) {
			switch snap.Status {
			case SnapshotStatusCompleted:
				return true, nil
			case SnapshotStatusFailed:
				return true, &SnapshotFailedError{Snapshot: snap}
			}
			return false, nil
		},
		progressed: func(prev, cur *Snapshot) bool { return prev.Status != cur.Status },
		onProgress: opts.OnProgress,
		poll:       opts.PollInterval,
		max:        opts.MaxInterval,
		maxWait:    opts.MaxWait,
	})
}
