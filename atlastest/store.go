package atlastest

import (
	"slices"
	"time"

	"github.com/atlas-exports/atlas"
)

// Access is what the server's credentials may do in one project (group). Atlas grants it
// through roles: reading export jobs needs Project Backup Manager, creating them Project
// Backup Export Operator.
type Access int

const (
	// AccessReadWrite allows listing, reading and creating export jobs. It is the default.
	AccessReadWrite Access = iota
	// AccessReadOnly allows listing and reading; creating is answered 403.
	AccessReadOnly
	// AccessNone answers every export-job request on the project with 403.
	AccessNone
)

// need is what an operation requires of the caller's Access.
type need int

const (
	accessRead need = iota
	accessWrite
)

// allows reports whether access a permits an operation that needs n.
func (a Access) allows(n need) bool {
	switch a {
	case AccessReadWrite:
		return true
	case AccessReadOnly:
		return n == accessRead
	}
	return false
}

// group is a project and its clusters.
type group struct {
	clusters map[string]*cluster
}

// cluster holds its export jobs in creation order, the order List returns them in.
type cluster struct {
	jobs []*jobRecord
}

// jobRecord is a stored job and where it lives.
type jobRecord struct {
	groupID, clusterName string
	job                  atlas.ExportJob
	stepped              time.Time // when WithStepInterval progress last counted a step
}

// AddGroup makes a project with id groupID exist (it may already). Requests for an unknown
// project get 404 GROUP_NOT_FOUND.
func (s *Server) AddGroup(groupID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.group(groupID)
}

// AddCluster makes a cluster exist in a project, creating the project if needed. Requests for
// an unknown cluster get 404 CLUSTER_NOT_FOUND.
func (s *Server) AddCluster(groupID, clusterName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cluster(groupID, clusterName)
}

// group returns the project groupID, creating it. Callers hold s.mu.
func (s *Server) group(groupID string) *group {
	g, ok := s.groups[groupID]
	if !ok {
		g = &group{clusters: map[string]*cluster{}}
		s.groups[groupID] = g
	}
	return g
}

// cluster returns the cluster, creating it and its project. Callers hold s.mu.
func (s *Server) cluster(groupID, clusterName string) *cluster {
	g := s.group(groupID)
	c, ok := g.clusters[clusterName]
	if !ok {
		c = &cluster{}
		g.clusters[clusterName] = c
	}
	return c
}

// AddExportJob stores a copy of job in the cluster, creating the cluster and its project if
// needed, and returns the job's id: job.ID, or a fresh 24-hex-digit id when that is empty.
// The job is stored as given, in whatever state; the server adds a self link when it sends a
// job without links. A job with the id of a stored job replaces it. The ids should match the
// spec's patterns, or no request can reach the job.
func (s *Server) AddExportJob(groupID, clusterName string, job *atlas.ExportJob) string {
	j := cloneJob(job)
	if j.ID == "" {
		j.ID = newObjectID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeJob(&jobRecord{groupID: groupID, clusterName: clusterName, job: *j, stepped: s.now()})
	return j.ID
}

// storeJob adds rec, replacing a stored job with the same id. Callers hold s.mu.
func (s *Server) storeJob(rec *jobRecord) {
	if old, ok := s.jobs[rec.job.ID]; ok {
		c := s.groups[old.groupID].clusters[old.clusterName]
		c.jobs = slices.DeleteFunc(c.jobs, func(r *jobRecord) bool { return r == old })
	}
	c := s.cluster(rec.groupID, rec.clusterName)
	c.jobs = append(c.jobs, rec)
	s.jobs[rec.job.ID] = rec
}

// ExportJob returns a copy of the stored job, as a GET would show it but without links, and
// whether it exists. Reading it does not auto-advance it.
func (s *Server) ExportJob(groupID, clusterName, exportID string) (*atlas.ExportJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.jobs[exportID]
	if !ok || rec.groupID != groupID || rec.clusterName != clusterName {
		return nil, false
	}
	s.catchUp(rec)
	return cloneJob(&rec.job), true
}

// ExportJobs returns copies of a cluster's jobs in creation order (nil for an unknown cluster).
func (s *Server) ExportJobs(groupID, clusterName string) []*atlas.ExportJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[groupID]
	if !ok {
		return nil
	}
	c, ok := g.clusters[clusterName]
	if !ok {
		return nil
	}
	out := make([]*atlas.ExportJob, 0, len(c.jobs))
	for _, rec := range c.jobs {
		s.catchUp(rec)
		out = append(out, cloneJob(&rec.job))
	}
	return out
}

// SetAccess sets what the server's credentials may do in project groupID (AccessReadWrite
// unless set). A request that its access does not allow gets 403.
func (s *Server) SetAccess(groupID string, a Access) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access == nil {
		s.access = map[string]Access{}
	}
	s.access[groupID] = a
}

// DenyGroup is SetAccess(groupID, AccessNone): every export-job request on the project gets 403.
func (s *Server) DenyGroup(groupID string) {
	s.SetAccess(groupID, AccessNone)
}

// SetAutoAdvance turns advance-on-poll on or off (see WithAutoAdvance).
func (s *Server) SetAutoAdvance(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoAdvance = on
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
	s.step(rec)
	return rec.job.State, true
}

// AdvanceAll moves every unfinished job one step and returns how many moved.
func (s *Server) AdvanceAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rec := range s.jobs {
		if s.step(rec) {
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

// step advances a job one step and reports whether it changed. Callers hold s.mu.
func (s *Server) step(rec *jobRecord) bool {
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

// catchUp applies the steps WithStepInterval owes a job by now. Callers hold s.mu.
func (s *Server) catchUp(rec *jobRecord) {
	d := s.cfg.stepInterval
	if d <= 0 {
		return
	}
	now := s.now()
	for !now.Before(rec.stepped.Add(d)) {
		rec.stepped = rec.stepped.Add(d)
		if !s.step(rec) {
			rec.stepped = now // finished: nothing more is owed
			return
		}
	}
}

// timestamp is the server's now as the service writes timestamps: UTC, whole seconds.
func (s *Server) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Second)
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
