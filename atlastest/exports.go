package atlastest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/atlas-exports/atlas"
)

// getExport serves GET .../backup/exports/{exportId}. With auto-advance on, the job moves one
// step before it is answered.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("exportId")
	s.respond(w, r, c, func() (int, any) {
		rec := findPlaced(s.jobs, c.groupID, c.clusterName, id)
		if rec == nil {
			return 0, notFound("EXPORT_JOB_NOT_FOUND", "No export job with ID %s exists for cluster %s.", id, c.clusterName)
		}
		s.poll(&rec.stepped, func() bool { return s.stepJob(rec) })
		return http.StatusOK, s.jobView(r, c, rec)
	})
}

// listExports serves GET .../backup/exports with the spec's paging parameters.
func (s *Server) listExports(w http.ResponseWriter, r *http.Request, c *call) {
	p, ok := readPaging(w, r)
	if !ok {
		return
	}
	s.respond(w, r, c, func() (int, any) {
		return http.StatusOK, pageOf(r, p, s.findCluster(c.groupID, c.clusterName).jobs, func(rec *jobRecord) *atlas.ExportJob {
			s.catchUpJob(rec)
			return s.jobView(r, c, rec)
		})
	})
}

// jobView is a copy of a stored job as the service sends it: with a self link when it has no
// links. Callers hold s.mu.
func (s *Server) jobView(r *http.Request, c *call, rec *jobRecord) *atlas.ExportJob {
	j := cloneJob(&rec.job)
	if len(j.Links) == 0 {
		j.Links = selfLinks(r, expand(exportPath, c.groupID, c.clusterName, j.ID))
	}
	return j
}

// createExport serves POST .../backup/exports. Unless WithLenientExports is set, the snapshot
// must exist in the cluster and be completed, and the export bucket must exist in the project.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request, c *call) {
	f, ok := readFields(w, r, "DiskBackupExportJobRequest")
	if !ok {
		return
	}
	req := atlas.CreateExportJobRequest{SnapshotID: f.id("snapshotId", true), ExportBucketID: f.id("exportBucketId", true)}
	if f.has("customData") {
		req.CustomData = decodeLabels(f, f.raw["customData"])
	}
	f.only("customData", "exportBucketId", "links", "snapshotId") // links is read-only: ignored
	if f.refuse(w, r) {
		return
	}
	s.respond(w, r, c, func() (int, any) {
		if refusal := s.unexportable(c, &req); refusal != nil {
			return 0, refusal
		}
		created := s.timestamp()
		rec := &jobRecord{placed: s.placeAt(c.groupID, c.clusterName), job: atlas.ExportJob{
			ID:             newObjectID(),
			SnapshotID:     req.SnapshotID,
			ExportBucketID: req.ExportBucketID,
			Prefix: fmt.Sprintf("/exported_snapshots/%s/%s/%s/%s/%d", s.orgID, c.groupID, c.clusterName,
				created.Format("2006-01-02T1504Z"), created.Unix()),
			State:        atlas.ExportStateQueued,
			ExportStatus: &atlas.ExportStatus{TotalCollections: s.cfg.totalCollections},
			CreatedAt:    created,
			CustomData:   req.CustomData,
		}}
		s.storeJob(rec)
		return http.StatusOK, s.jobView(r, c, rec)
	})
}

// unexportable is why the service would refuse to export req's snapshot to its bucket, or
// nil: an unknown snapshot or bucket (404) or a snapshot that is not completed (400). Callers
// hold s.mu.
func (s *Server) unexportable(c *call, req *atlas.CreateExportJobRequest) *refusal {
	if s.cfg.lenientExports {
		return nil
	}
	snap := findPlaced(s.snapshots, c.groupID, c.clusterName, req.SnapshotID)
	if snap == nil {
		return notFound("SNAPSHOT_NOT_FOUND", "No snapshot with ID %s exists for cluster %s.", req.SnapshotID, c.clusterName)
	}
	if s.findBucket(c.groupID, req.ExportBucketID) == nil {
		return notFound("EXPORT_BUCKET_NOT_FOUND", "No export bucket with ID %s exists in group %s.", req.ExportBucketID, c.groupID)
	}
	s.catchUpSnapshot(snap)
	if st := snap.snap.Status; st != atlas.SnapshotStatusCompleted {
		return &refusal{status: http.StatusBadRequest, code: "CANNOT_EXPORT_INCOMPLETE_SNAPSHOT",
			detail: fmt.Sprintf("Snapshot %s is %s; only a completed snapshot can be exported.", req.SnapshotID, st),
			fields: []atlas.FieldViolation{{Field: "snapshotId", Description: "names a snapshot that is not completed"}}}
	}
	return nil
}

// decodeLabels reads customData: an array of BackupLabel objects with string key and value.
func decodeLabels(f *fields, v json.RawMessage) []atlas.Label {
	var items []map[string]json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		f.violate("customData", "must be an array of objects with string key and value")
		return nil
	}
	labels := make([]atlas.Label, 0, len(items))
	for i, item := range items {
		var l atlas.Label
		for _, k := range slices.Sorted(maps.Keys(item)) {
			field := fmt.Sprintf("customData[%d].%s", i, k)
			var dst *string
			switch k {
			case "key":
				dst = &l.Key
			case "value":
				dst = &l.Value
			default:
				f.violate(field, "is not an attribute of BackupLabel")
				continue
			}
			if json.Unmarshal(item[k], dst) != nil {
				f.violate(field, "must be a string")
			}
		}
		labels = append(labels, l)
	}
	return labels
}
