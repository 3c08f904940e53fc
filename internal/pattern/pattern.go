// Package pattern holds the path-parameter patterns of the Atlas Administration API contract,
// shared by the fake (atlastest) and its command (cmd/atlasfake).
//
// The client in the root package keeps its own checks on purpose: the fake exists to catch the
// client's mistakes, so the two must not share one source of truth.
package pattern

import "regexp"

var (
	// ObjectID is the spec's pattern for every 24-hexadecimal-digit id: groupId, exportId,
	// exportBucketId, snapshotId, iamRoleId, roleId.
	ObjectID = regexp.MustCompile(`^([a-f0-9]{24})$`)
	// ClusterName is the spec's pattern for clusterName.
	ClusterName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
)
