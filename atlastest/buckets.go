package atlastest

import (
	"slices"

	"github.com/atlas-exports/atlas"
)

// bucketRecord is a stored export bucket and the project it belongs to.
type bucketRecord struct {
	groupID string
	bucket  atlas.ExportBucket
}

// awsRegion is the region the fake reports for every AWS bucket; Atlas sets the bucket's own.
const awsRegion = "us-east-1"

// AddExportBucket stores a copy of b in the project, creating the project if needed, and
// returns the bucket's id: b.ID, or a fresh 24-hex-digit id when that is empty. A nil b is a
// bucket of defaults. Empty fields
// that the response schema requires get defaults, as Atlas would have set them: CloudProvider
// AWS, BucketName "export-bucket"; for AWS a fresh IAMRoleID and Region us-east-1; for AZURE a
// fresh RoleID, a ServiceURL on examplestorageaccount.blob.core.windows.net naming the
// container, and a fresh TenantID; for GCP a fresh RoleID. A bucket with the id of a stored
// one replaces it. The id should match the spec's pattern, or no request can reach the
// bucket. A provider other than AWS, AZURE and GCP is stored and sent as given.
func (s *Server) AddExportBucket(groupID string, b *atlas.ExportBucket) string {
	if b == nil {
		b = &atlas.ExportBucket{}
	}
	c := cloneBucket(b)
	if c.ID == "" {
		c.ID = newObjectID()
	}
	if c.CloudProvider == "" {
		c.CloudProvider = atlas.CloudProviderAWS
	}
	fillBucket(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeBucket(&bucketRecord{groupID: groupID, bucket: *c})
	return c.ID
}

// fillBucket sets the fields Atlas sets itself, and those the response schema requires of the
// bucket's provider, where they are empty.
func fillBucket(b *atlas.ExportBucket) {
	if b.BucketName == "" {
		b.BucketName = "export-bucket"
	}
	setEmpty := func(dst *string, v func() string) {
		if *dst == "" {
			*dst = v()
		}
	}
	switch b.CloudProvider {
	case atlas.CloudProviderAWS:
		setEmpty(&b.IAMRoleID, newObjectID)
		setEmpty(&b.Region, func() string { return awsRegion })
	case atlas.CloudProviderAzure:
		setEmpty(&b.RoleID, newObjectID)
		setEmpty(&b.ServiceURL, func() string { return "https://examplestorageaccount.blob.core.windows.net/" + b.BucketName })
		setEmpty(&b.TenantID, randomUUID)
	case atlas.CloudProviderGCP:
		setEmpty(&b.RoleID, newObjectID)
	}
}

// storeBucket adds rec, replacing a stored bucket with the same id. Callers hold s.mu.
func (s *Server) storeBucket(rec *bucketRecord) {
	storeRecord(s.buckets, rec.bucket.ID, rec, func(r *bucketRecord) *[]*bucketRecord {
		return &s.group(r.groupID).buckets
	})
}

// findBucket returns the project's bucket with that id, or nil. Callers hold s.mu.
func (s *Server) findBucket(groupID, bucketID string) *bucketRecord {
	rec, ok := s.buckets[bucketID]
	if !ok || rec.groupID != groupID {
		return nil
	}
	return rec
}

// removeBucket deletes a stored bucket. Callers hold s.mu.
func (s *Server) removeBucket(rec *bucketRecord) {
	g := s.groups[rec.groupID]
	g.buckets = slices.DeleteFunc(g.buckets, func(r *bucketRecord) bool { return r == rec })
	delete(s.buckets, rec.bucket.ID)
}

// ExportBucket returns a copy of the stored bucket, without links, and whether it exists in
// the project.
func (s *Server) ExportBucket(groupID, bucketID string) (*atlas.ExportBucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.findBucket(groupID, bucketID)
	if rec == nil {
		return nil, false
	}
	return cloneBucket(&rec.bucket), true
}

// ExportBuckets returns copies of a project's buckets in the order they were added or created
// (nil for an unknown project).
func (s *Server) ExportBuckets(groupID string) []*atlas.ExportBucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[groupID]
	if !ok {
		return nil
	}
	return copiesOf(g.buckets, func(rec *bucketRecord) *atlas.ExportBucket { return cloneBucket(&rec.bucket) })
}

// cloneBucket copies a bucket so that the copy shares no memory with b.
func cloneBucket(b *atlas.ExportBucket) *atlas.ExportBucket {
	c := *b
	c.Links = slices.Clone(b.Links)
	return &c
}
