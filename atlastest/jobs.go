package atlastest

import (
	"slices"

	"github.com/atlas-exports/atlas"
)

// jobRecord is a stored job and where it lives.
type jobRecord struct {
	placed
	job atlas.ExportJob
}

// AddExportJob stores a copy of job in the cluster, creating the cluster and its project if
// needed, and returns the job's id: job.ID, or a fresh 24-hex-digit id when that is empty.
// The job is stored as given, in whatever state, whether or not its snapshot and export
// bucket exist; the server adds a self link when it sends a job without links. A job with the
// id of a stored job replaces it. The ids should match the spec's patterns, or no request can
// reach the job.
func (s *Server) AddExportJob(groupID, clusterName string, job *atlas.ExportJob) string {
	j := cloneJob(job)
	if j.ID == "" {
		j.ID = newObjectID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeJob(&jobRecord{placed: s.placeAt(groupID, clusterName), job: *j})
	return j.ID
}

// storeJob adds rec, replacing a stored job with the same id. Callers hold s.mu.
func (s *Server) storeJob(rec *jobRecord) {
	storeRecord(s.jobs, rec.job.ID, rec, func(r *jobRecord) *[]*jobRecord {
		return &s.cluster(r.groupID, r.clusterName).jobs
	})
}

// ExportJob returns a copy of the stored job, as a GET would show it but without links, and
// whether it exists. Reading it does not auto-advance it.
func (s *Server) ExportJob(groupID, clusterName, exportID string) (*atlas.ExportJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := findPlaced(s.jobs, groupID, clusterName, exportID)
	if rec == nil {
		return nil, false
	}
	s.catchUpJob(rec)
	return cloneJob(&rec.job), true
}

// ExportJobs returns copies of a cluster's jobs in creation order (nil for an unknown cluster).
func (s *Server) ExportJobs(groupID, clusterName string) []*atlas.ExportJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findCluster(groupID, clusterName)
	if c == nil {
		return nil
	}
	return copiesOf(c.jobs, func(rec *jobRecord) *atlas.ExportJob {
		s.catchUpJob(rec)
		return cloneJob(&rec.job)
	})
}

// AdvanceExport moves the job with id exportID one step along its schedule and returns its new
// state; ok is false when no such job exists. The schedule is Queued, then InProgress with
// exportStatus.exportedCollections climbing by one per step, then Successful (with finishedAt)
// in the step that exports the last collection. A job in a terminal or unknown state stays.
func (s *Server) AdvanceExport(exportID string) (state atlas.ExportState, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.jobs[exportID]
	if !ok {
		return "", false
	}
	s.stepJob(rec)
	return rec.job.State, true
}

// AdvanceAll moves every unfinished export job one step and returns how many moved. It leaves
// snapshots alone (see AdvanceSnapshot).
func (s *Server) AdvanceAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rec := range s.jobs {
		if s.stepJob(rec) {
			n++
		}
	}
	return n
}

// FailExport puts the job in state Failed with the given stateReason and sets finishedAt,
// whatever its state was. It reports whether the job exists.
func (s *Server) FailExport(exportID string, reason atlas.StateReason) bool {
	return s.finish(exportID, atlas.ExportStateFailed, &reason)
}

// CancelExport puts the job in state Cancelled and sets finishedAt. It reports whether the
// job exists.
func (s *Server) CancelExport(exportID string) bool {
	return s.finish(exportID, atlas.ExportStateCancelled, nil)
}

// finish ends a job in a terminal state.
func (s *Server) finish(exportID string, state atlas.ExportState, reason *atlas.StateReason) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.jobs[exportID]
	if !ok {
		return false
	}
	rec.job.State = state
	rec.job.StateReason = reason
	rec.job.FinishedAt = s.timestamp()
	return true
}

// stepJob advances a job one step and reports whether it changed. Callers hold s.mu.
func (s *Server) stepJob(rec *jobRecord) bool {
	j := &rec.job
	switch j.State {
	case "", atlas.ExportStateQueued:
		j.State = atlas.ExportStateInProgress
		return true
	case atlas.ExportStateInProgress:
		st := j.ExportStatus
		if st != nil && st.ExportedCollections < st.TotalCollections {
			st.ExportedCollections++
		}
		if st == nil || st.ExportedCollections >= st.TotalCollections {
			j.State = atlas.ExportStateSuccessful
			j.FinishedAt = s.timestamp()
		}
		return true
	}
	return false
}

// catchUpJob applies the steps WithStepInterval owes a job by now. Callers hold s.mu.
func (s *Server) catchUpJob(rec *jobRecord) {
	s.catchUp(&rec.stepped, func() bool { return s.stepJob(rec) })
}

// cloneJob copies a job deeply enough that the copy shares no memory with j.
func cloneJob(j *atlas.ExportJob) *atlas.ExportJob {
	c := *j
	if j.StateReason != nil {
		r := *j.StateReason
		c.StateReason = &r
	}
	if j.ExportStatus != nil {
		st := *j.ExportStatus
		c.ExportStatus = &st
	}
	c.Components = slices.Clone(j.Components)
	c.CustomData = slices.Clone(j.CustomData)
	c.Links = slices.Clone(j.Links)
	return &c
}
