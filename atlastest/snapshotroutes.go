package atlastest

import (
	"net/http"
	"time"

	"github.com/atlas-exports/atlas"
)

// snapshotPaths are the get path of each snapshot type, for self links.
var snapshotPaths = map[string]string{replicaSet: snapshotPath, shardedCluster: shardedSnapshotPath}

// listSnapshots serves the list of a cluster's snapshots of one type: GET .../backup/snapshots
// (replica sets, paged) or GET .../backup/snapshots/shardedClusters (sharded clusters, whose
// operation declares no paging parameters: one page with everything).
func (s *Server) listSnapshots(kind string) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		p := unpaged
		if kind == replicaSet {
			var ok bool
			if p, ok = readPaging(w, r); !ok {
				return
			}
		}
		s.respond(w, r, c, func() (int, any) {
			var recs []*snapshotRecord
			for _, rec := range s.findCluster(c.groupID, c.clusterName).snapshots {
				if rec.snap.Type == kind {
					recs = append(recs, rec)
				}
			}
			return http.StatusOK, pageOf(r, p, recs, func(rec *snapshotRecord) *atlas.Snapshot {
				s.catchUpSnapshot(rec)
				return snapshotView(r, c, rec)
			})
		})
	}
}

// getSnapshot serves GET .../backup/snapshots/{snapshotId} (replica sets) or
// .../backup/snapshots/shardedCluster/{snapshotId} (sharded clusters): a snapshot of the other
// type is not found. With auto-advance on, the snapshot moves one step before it is answered.
func (s *Server) getSnapshot(kind string) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		id := r.PathValue("snapshotId")
		s.respond(w, r, c, func() (int, any) {
			rec := findPlaced(s.snapshots, c.groupID, c.clusterName, id)
			if rec == nil || rec.snap.Type != kind {
				return 0, notFound("SNAPSHOT_NOT_FOUND", "No snapshot with ID %s exists for cluster %s.", id, c.clusterName)
			}
			s.poll(&rec.stepped, func() bool { return s.stepSnapshot(rec) })
			return http.StatusOK, snapshotView(r, c, rec)
		})
	}
}

// takeSnapshot serves POST .../backup/snapshots: it takes an on-demand replica-set snapshot,
// queued, and answers it (200, DiskBackupSnapshot).
func (s *Server) takeSnapshot(w http.ResponseWriter, r *http.Request, c *call) {
	f, ok := readFields(w, r, "DiskBackupOnDemandSnapshotRequest")
	if !ok {
		return
	}
	description := f.str("description", false)
	var days int32
	if f.decode("retentionInDays", false, "an integer", &days) && days < 1 {
		f.violate("retentionInDays", "must be at least 1")
	}
	f.only("description", "links", "retentionInDays") // links is read-only: ignored
	if f.refuse(w, r) {
		return
	}
	s.respond(w, r, c, func() (int, any) {
		created := s.timestamp()
		rec := &snapshotRecord{placed: s.placeAt(c.groupID, c.clusterName), snap: atlas.Snapshot{
			ID:             newObjectID(),
			Status:         atlas.SnapshotStatusQueued,
			SnapshotType:   "onDemand",
			Type:           replicaSet,
			Description:    description,
			ReplicaSetName: c.clusterName,
			CreatedAt:      created,
		}}
		if days > 0 {
			rec.snap.ExpiresAt = created.Add(time.Duration(days) * 24 * time.Hour)
		}
		s.storeSnapshot(rec)
		return http.StatusOK, snapshotView(r, c, rec)
	})
}

// snapshotView is a copy of a stored snapshot as its type's route sends it: only the fields of
// its type's schema, and a self link when it has no links. Callers hold s.mu.
func snapshotView(r *http.Request, c *call, rec *snapshotRecord) *atlas.Snapshot {
	v := cloneSnapshot(&rec.snap)
	switch v.Type {
	case replicaSet:
		v.ConfigServerType, v.Members, v.SnapshotIDs = "", nil, nil
	case shardedCluster:
		v.ReplicaSetName, v.CloudProvider, v.CopyRegions = "", "", nil
	}
	if len(v.Links) == 0 {
		v.Links = selfLinks(r, expand(snapshotPaths[v.Type], c.groupID, c.clusterName, v.ID))
	}
	return v
}
