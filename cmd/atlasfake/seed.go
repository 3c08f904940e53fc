package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/pattern"
)

// jobSeed is one element of the -jobs file: a cluster, and maybe a job in it.
type jobSeed struct {
	GroupID     string           `json:"groupId"`
	ClusterName string           `json:"clusterName"`
	Job         *atlas.ExportJob `json:"job,omitempty"`
}

// snapshotSeed is one element of the -snapshots file: a snapshot of a cluster, in the API's
// form; without one, a completed replica-set snapshot.
type snapshotSeed struct {
	GroupID     string          `json:"groupId"`
	ClusterName string          `json:"clusterName"`
	Snapshot    *atlas.Snapshot `json:"snapshot,omitempty"`
}

// bucketSeed is one element of the -buckets file: an export bucket of a project, in the API's
// form (the id is "_id"); without one, an AWS bucket.
type bucketSeed struct {
	GroupID      string              `json:"groupId"`
	ExportBucket *atlas.ExportBucket `json:"exportBucket,omitempty"`
}

// seeds is everything the seed files hold.
type seeds struct {
	jobs      []jobSeed
	snapshots []snapshotSeed
	buckets   []bucketSeed
}

// readSeeds reads the seed files that were named; an empty path reads nothing.
func readSeeds(jobsPath, snapshotsPath, bucketsPath string) (*seeds, error) {
	var sd seeds
	var err1, err2, err3 error
	sd.jobs, err1 = readSeedFile(jobsPath, func(s jobSeed) []string {
		p := placeProblems(s.GroupID, &s.ClusterName)
		if s.Job != nil {
			p = append(p, idProblem("job id", s.Job.ID)...)
		}
		return p
	})
	sd.snapshots, err2 = readSeedFile(snapshotsPath, func(s snapshotSeed) []string {
		p := placeProblems(s.GroupID, &s.ClusterName)
		if s.Snapshot != nil {
			p = append(p, idProblem("snapshot id", s.Snapshot.ID)...)
			p = append(p, enumProblem("snapshot type", s.Snapshot.Type, "replicaSet", "shardedCluster")...)
			p = append(p, enumProblem("snapshot status", string(s.Snapshot.Status), "queued", "inProgress", "completed", "failed")...)
		}
		return p
	})
	sd.buckets, err3 = readSeedFile(bucketsPath, func(s bucketSeed) []string {
		p := placeProblems(s.GroupID, nil)
		if s.ExportBucket != nil {
			p = append(p, idProblem("bucket _id", s.ExportBucket.ID)...)
			p = append(p, enumProblem("cloudProvider", string(s.ExportBucket.CloudProvider), "AWS", "AZURE", "GCP")...)
		}
		return p
	})
	return &sd, errors.Join(err1, err2, err3)
}

// readSeedFile reads a JSON array of T and checks each element. Unknown fields are errors, so
// a typo does not silently seed something without the field.
func readSeedFile[T any](path string, check func(T) []string) ([]T, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var entries []T
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for i, e := range entries {
		for _, p := range check(e) {
			errs = append(errs, fmt.Errorf("%s: entry %d: %s", path, i, p))
		}
	}
	return entries, errors.Join(errs...)
}

// placeProblems checks a project id and, unless clusterName is nil, a cluster name against the
// spec's patterns: a seed that breaks them could never be reached through the API.
func placeProblems(groupID string, clusterName *string) []string {
	var p []string
	if !pattern.ObjectID.MatchString(groupID) {
		p = append(p, fmt.Sprintf("groupId %q is not 24 hexadecimal digits", groupID))
	}
	if clusterName != nil && !pattern.ClusterName.MatchString(*clusterName) {
		p = append(p, fmt.Sprintf("clusterName %q breaks %s", *clusterName, pattern.ClusterName))
	}
	return p
}

// idProblem checks an optional id (empty gets a fresh one).
func idProblem(what, id string) []string {
	if id != "" && !pattern.ObjectID.MatchString(id) {
		return []string{fmt.Sprintf("%s %q is not 24 hexadecimal digits", what, id)}
	}
	return nil
}

// enumProblem checks an optional value (empty gets the fake's default) against the spec's enum.
func enumProblem(what, value string, enum ...string) []string {
	if value != "" && !slices.Contains(enum, value) {
		return []string{fmt.Sprintf("%s %q is not one of %v", what, value, enum)}
	}
	return nil
}

// count is how many resources the seeds add.
func (sd *seeds) count() int { return len(sd.jobs) + len(sd.snapshots) + len(sd.buckets) }

// apply adds the seeds to srv and prints, one NAME=URL line each, where to GET what it added:
// EXPORT_JOB, SNAPSHOT (a sharded-cluster snapshot on its own route) and EXPORT_BUCKET.
func (sd *seeds) apply(srv *atlastest.Server, out io.Writer) {
	group := func(id string) string { return srv.URL + "/api/atlas/v2/groups/" + id }
	for _, s := range sd.jobs {
		if s.Job == nil {
			srv.AddCluster(s.GroupID, s.ClusterName)
			continue
		}
		id := srv.AddExportJob(s.GroupID, s.ClusterName, s.Job)
		fmt.Fprintf(out, "EXPORT_JOB=%s/clusters/%s/backup/exports/%s\n", group(s.GroupID), s.ClusterName, id)
	}
	for _, s := range sd.snapshots {
		snap := s.Snapshot
		if snap == nil {
			snap = &atlas.Snapshot{}
		}
		id := srv.AddSnapshot(s.GroupID, s.ClusterName, snap)
		path := "/backup/snapshots/"
		if snap.Type == "shardedCluster" {
			path += "shardedCluster/"
		}
		fmt.Fprintf(out, "SNAPSHOT=%s/clusters/%s%s%s\n", group(s.GroupID), s.ClusterName, path, id)
	}
	for _, s := range sd.buckets {
		b := s.ExportBucket
		if b == nil {
			b = &atlas.ExportBucket{}
		}
		id := srv.AddExportBucket(s.GroupID, b)
		fmt.Fprintf(out, "EXPORT_BUCKET=%s/backup/exportBuckets/%s\n", group(s.GroupID), id)
	}
}
