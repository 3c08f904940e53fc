package atlastest

import (
	"slices"
	"time"
)

// Access is what the server's credentials may do in one project (group). Atlas grants it
// through roles: reading needs Project Read Only or Project Backup Manager; creating export
// jobs needs Project Backup Export Operator, taking snapshots Project Backup Creator, and
// changing export buckets Project Backup Manager.
type Access int

const (
	// AccessReadWrite allows every operation. It is the default.
	AccessReadWrite Access = iota
	// AccessReadOnly allows listing and reading; creating, taking, changing and deleting are
	// answered 403.
	AccessReadOnly
	// AccessNone answers every request on the project with 403.
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

// group is a project: its clusters and its export buckets, in the order they were added.
type group struct {
	clusters map[string]*cluster
	buckets  []*bucketRecord
}

// cluster holds its export jobs and snapshots in creation order, the order lists return them in.
type cluster struct {
	jobs      []*jobRecord
	snapshots []*snapshotRecord
}

// AddGroup makes a project with id groupID exist (it may already), with no clusters and no
// export buckets, so its export-bucket list answers an empty page. Requests for an unknown
// project get 404 GROUP_NOT_FOUND. AddCluster, AddExportBucket and the other Add methods
// create the project themselves.
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

// findCluster returns the cluster if it exists, without creating it. Callers hold s.mu.
func (s *Server) findCluster(groupID, clusterName string) *cluster {
	if g, ok := s.groups[groupID]; ok {
		return g.clusters[clusterName]
	}
	return nil
}

// SetAccess sets what the server's credentials may do in project groupID (AccessReadWrite
// unless set). A request that its access does not allow gets 403 USER_UNAUTHORIZED.
func (s *Server) SetAccess(groupID string, a Access) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access == nil {
		s.access = map[string]Access{}
	}
	s.access[groupID] = a
}

// SetAutoAdvance turns advance-on-poll on or off (see WithAutoAdvance).
func (s *Server) SetAutoAdvance(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoAdvance = on
}

// catchUp applies the steps WithStepInterval owes a job or snapshot last stepped at *stepped,
// calling step until it reports that nothing changed any more. Callers hold s.mu.
func (s *Server) catchUp(stepped *time.Time, step func() bool) {
	d := s.cfg.stepInterval
	if d <= 0 {
		return
	}
	now := s.now()
	for !now.Before(stepped.Add(d)) {
		*stepped = stepped.Add(d)
		if !step() {
			*stepped = now // finished: nothing more is owed
			return
		}
	}
}

// poll brings a job or snapshot up to date for a GET of it: the steps WithStepInterval owes,
// then, with auto-advance on, one more. Callers hold s.mu.
func (s *Server) poll(stepped *time.Time, step func() bool) {
	s.catchUp(stepped, step)
	if s.autoAdvance {
		step()
	}
}

// timestamp is the server's now as the service writes timestamps: UTC, whole seconds.
func (s *Server) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Second)
}

// placed is where a stored export job or snapshot lives, and when WithStepInterval progress
// last counted a step for it.
type placed struct {
	groupID, clusterName string
	stepped              time.Time
}

func (p *placed) place() *placed { return p }

// placeAt is a new record's placement in a cluster, with its steps counted from now.
func (s *Server) placeAt(groupID, clusterName string) placed {
	return placed{groupID: groupID, clusterName: clusterName, stepped: s.now()}
}

// findPlaced returns the record with that id if it lives in the cluster, or nil. Callers hold
// s.mu.
func findPlaced[R interface {
	comparable
	place() *placed
}](byID map[string]R, groupID, clusterName, id string) R {
	rec, ok := byID[id]
	if !ok || rec.place().groupID != groupID || rec.place().clusterName != clusterName {
		var none R
		return none
	}
	return rec
}

// copiesOf is each(rec) for every record, for the accessors that hand out copies.
func copiesOf[R, T any](recs []R, each func(R) T) []T {
	out := make([]T, 0, len(recs))
	for _, rec := range recs {
		out = append(out, each(rec))
	}
	return out
}

// storeRecord files rec under id in byID and at the end of the list listOf gives for it,
// first taking a stored record with the same id out of its own list: adding under an existing
// id replaces, also across clusters and projects. Callers hold s.mu.
func storeRecord[R comparable](byID map[string]R, id string, rec R, listOf func(R) *[]R) {
	if old, ok := byID[id]; ok {
		list := listOf(old)
		*list = slices.DeleteFunc(*list, func(r R) bool { return r == old })
	}
	list := listOf(rec)
	*list = append(*list, rec)
	byID[id] = rec
}
