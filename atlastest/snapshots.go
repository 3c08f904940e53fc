package atlastest

import (
	"slices"

	"github.com/atlas-exports/atlas"
)

// The snapshot types (the Type field), which decide the routes that serve a snapshot.
const (
	replicaSet     = "replicaSet"
	shardedCluster = "shardedCluster"
)

// snapshotRecord is a stored snapshot and where it lives.
type snapshotRecord struct {
	placed
	snap atlas.Snapshot
}

// AddSnapshot stores a copy of snap in the cluster, creating the cluster and its project if
// needed, and returns the snapshot's id: snap.ID, or a fresh 24-hex-digit id when that is
// empty. A nil snap is a snapshot of defaults. Empty fields get defaults: Status completed (so the snapshot can be exported at
// once), Type replicaSet, SnapshotType scheduled, CreatedAt the server's now, and for a
// replica-set snapshot ReplicaSetName the cluster's name.
//
// Type decides which routes serve it: a replicaSet snapshot is listed and read only through
// .../backup/snapshots, a shardedCluster one only through .../snapshots/shardedClusters and
// .../snapshots/shardedCluster/{snapshotId}; each route sends only the fields of its type's
// schema. A snapshot with the id of a stored one replaces it. The id should match the spec's
// pattern, or no request can reach the snapshot.
func (s *Server) AddSnapshot(groupID, clusterName string, snap *atlas.Snapshot) string {
	if snap == nil {
		snap = &atlas.Snapshot{}
	}
	c := cloneSnapshot(snap)
	if c.ID == "" {
		c.ID = newObjectID()
	}
	if c.Status == "" {
		c.Status = atlas.SnapshotStatusCompleted
	}
	if c.Type == "" {
		c.Type = replicaSet
	}
	if c.SnapshotType == "" {
		c.SnapshotType = "scheduled"
	}
	if c.Type == replicaSet && c.ReplicaSetName == "" {
		c.ReplicaSetName = clusterName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.timestamp()
	}
	s.storeSnapshot(&snapshotRecord{placed: s.placeAt(groupID, clusterName), snap: *c})
	return c.ID
}

// storeSnapshot adds rec, replacing a stored snapshot with the same id. Callers hold s.mu.
func (s *Server) storeSnapshot(rec *snapshotRecord) {
	storeRecord(s.snapshots, rec.snap.ID, rec, func(r *snapshotRecord) *[]*snapshotRecord {
		return &s.cluster(r.groupID, r.clusterName).snapshots
	})
}

// Snapshot returns a copy of the stored snapshot, of either type, without links, and whether
// it exists. Reading it does not auto-advance it.
func (s *Server) Snapshot(groupID, clusterName, snapshotID string) (*atlas.Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := findPlaced(s.snapshots, groupID, clusterName, snapshotID)
	if rec == nil {
		return nil, false
	}
	s.catchUpSnapshot(rec)
	return cloneSnapshot(&rec.snap), true
}

// Snapshots returns copies of a cluster's snapshots of both types in the order they were added
// or taken (nil for an unknown cluster).
func (s *Server) Snapshots(groupID, clusterName string) []*atlas.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findCluster(groupID, clusterName)
	if c == nil {
		return nil
	}
	return copiesOf(c.snapshots, func(rec *snapshotRecord) *atlas.Snapshot {
		s.catchUpSnapshot(rec)
		return cloneSnapshot(&rec.snap)
	})
}

// AdvanceSnapshot moves the snapshot with id snapshotID one step, queued to inProgress to
// completed, and returns its new status; ok is false when no such snapshot exists. A completed,
// failed or unknown status stays.
func (s *Server) AdvanceSnapshot(snapshotID string) (status atlas.SnapshotStatus, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.snapshots[snapshotID]
	if !ok {
		return "", false
	}
	s.stepSnapshot(rec)
	return rec.snap.Status, true
}

// FailSnapshot puts the snapshot in status failed, whatever its status was, so that exporting
// it is refused. It reports whether the snapshot exists.
func (s *Server) FailSnapshot(snapshotID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.snapshots[snapshotID]
	if ok {
		rec.snap.Status = atlas.SnapshotStatusFailed
	}
	return ok
}

// stepSnapshot advances a snapshot one step and reports whether it changed. Callers hold s.mu.
func (s *Server) stepSnapshot(rec *snapshotRecord) bool {
	switch rec.snap.Status {
	case "", atlas.SnapshotStatusQueued:
		rec.snap.Status = atlas.SnapshotStatusInProgress
	case atlas.SnapshotStatusInProgress:
		rec.snap.Status = atlas.SnapshotStatusCompleted
	default:
		return false
	}
	return true
}

// catchUpSnapshot applies the steps WithStepInterval owes a snapshot by now. Callers hold s.mu.
func (s *Server) catchUpSnapshot(rec *snapshotRecord) {
	s.catchUp(&rec.stepped, func() bool { return s.stepSnapshot(rec) })
}

// cloneSnapshot copies a snapshot deeply enough that the copy shares no memory with snap.
func cloneSnapshot(snap *atlas.Snapshot) *atlas.Snapshot {
	c := *snap
	c.CopyRegions = slices.Clone(snap.CopyRegions)
	c.PolicyItems = slices.Clone(snap.PolicyItems)
	c.Members = slices.Clone(snap.Members)
	c.SnapshotIDs = slices.Clone(snap.SnapshotIDs)
	c.Links = slices.Clone(snap.Links)
	return &c
}
