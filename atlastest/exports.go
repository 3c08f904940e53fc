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
	s.mu.Lock()
	rec, ok := s.jobs[id]
	ok = ok && rec.groupID == c.groupID && rec.clusterName == c.clusterName
	var job *atlas.ExportJob
	if ok {
		s.catchUpJob(rec)
		if s.autoAdvance {
			s.stepJob(rec)
		}
		job = s.jobView(r, c, rec)
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, r, http.StatusNotFound, "EXPORT_JOB_NOT_FOUND",
			fmt.Sprintf("No export job with ID %s exists for cluster %s.", id, c.clusterName))
		return
	}
	writeBody(w, r, http.StatusOK, c.version.mediaType, job)
}

// listExports serves GET .../backup/exports with the spec's paging parameters.
func (s *Server) listExports(w http.ResponseWriter, r *http.Request, c *call) {
	p, ok := readPaging(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	page := pageOf(r, p, s.findCluster(c.groupID, c.clusterName).jobs, func(rec *jobRecord) *atlas.ExportJob {
		s.catchUpJob(rec)
		return s.jobView(r, c, rec)
	})
	s.mu.Unlock()
	writeBody(w, r, http.StatusOK, c.version.mediaType, page)
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
	raw, ok := readObject(w, r)
	if !ok {
		return
	}
	f := fields{raw: raw, schema: "DiskBackupExportJobRequest"}
	req := atlas.CreateExportJobRequest{SnapshotID: f.id("snapshotId", true), ExportBucketID: f.id("exportBucketId", true)}
	if f.has("customData") {
		req.CustomData = decodeLabels(&f, raw["customData"])
	}
	f.only("customData", "exportBucketId", "links", "snapshotId") // links is read-only: ignored
	if f.refuse(w, r) {
		return
	}

	s.mu.Lock()
	if refusal := s.unexportable(c, &req); refusal != nil {
		s.mu.Unlock()
		writeAPIError(w, r, refusal.status, refusal.code, refusal.detail, refusal.fields...)
		return
	}
	created := s.timestamp()
	rec := &jobRecord{groupID: c.groupID, clusterName: c.clusterName, stepped: s.now(), job: atlas.ExportJob{
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
	job := s.jobView(r, c, rec)
	s.mu.Unlock()
	writeBody(w, r, http.StatusOK, c.version.mediaType, job)
}

// refusal is an error answer decided while s.mu is held and written after it is released.
type refusal struct {
	status       int
	code, detail string
	fields       []atlas.FieldViolation
}

// unexportable is why the service would refuse to export req's snapshot to its bucket, or
// nil: an unknown snapshot or bucket (404) or a snapshot that is not completed (400). Callers
// hold s.mu.
func (s *Server) unexportable(c *call, req *atlas.CreateExportJobRequest) *refusal {
	if s.cfg.lenientExports {
		return nil
	}
	snap := s.findSnapshot(c.groupID, c.clusterName, req.SnapshotID)
	if snap == nil {
		return &refusal{status: http.StatusNotFound, code: "SNAPSHOT_NOT_FOUND",
			detail: fmt.Sprintf("No snapshot with ID %s exists for cluster %s.", req.SnapshotID, c.clusterName)}
	}
	if s.findBucket(c.groupID, req.ExportBucketID) == nil {
		return &refusal{status: http.StatusNotFound, code: "EXPORT_BUCKET_NOT_FOUND",
			detail: fmt.Sprintf("No export bucket with ID %s exists in group %s.", req.ExportBucketID, c.groupID)}
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
