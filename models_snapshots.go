package atlas

import "time"

// SnapshotStatus is the stage of a snapshot. It is an open set: a status this SDK does not
// know is kept as the server sent it.
type SnapshotStatus string

// The snapshot statuses the API documents. Only a completed snapshot can be exported.
const (
	SnapshotStatusQueued     SnapshotStatus = "queued"
	SnapshotStatusInProgress SnapshotStatus = "inProgress"
	SnapshotStatusCompleted  SnapshotStatus = "completed"
	SnapshotStatusFailed     SnapshotStatus = "failed"
)

// IsTerminal reports whether a snapshot in status s will not change any more: completed or
// failed. Unknown statuses are not terminal, so a waiter keeps polling through them.
func (s SnapshotStatus) IsTerminal() bool {
	return s == SnapshotStatusCompleted || s == SnapshotStatusFailed
}

// Snapshot is a Cloud Backup snapshot of a replica set or of a sharded cluster (the API's
// DiskBackupReplicaSet, DiskBackupSnapshot and DiskBackupShardedClusterSnapshot in one type).
// Type says which: replica-set snapshots set ReplicaSetName, CloudProvider and CopyRegions;
// sharded-cluster snapshots set ConfigServerType, Members and SnapshotIDs.
type Snapshot struct {
	// ID identifies the snapshot (24 hexadecimal characters).
	ID string `json:"id,omitempty"`
	// Status is the snapshot's stage; only completed snapshots can be exported.
	Status SnapshotStatus `json:"status,omitempty"`
	// SnapshotType is onDemand, scheduled or fallback.
	SnapshotType string `json:"snapshotType,omitempty"`
	// Type is replicaSet or shardedCluster.
	Type string `json:"type,omitempty"`
	// FrequencyType is hourly, daily, weekly, monthly or yearly.
	FrequencyType string `json:"frequencyType,omitempty"`
	// Description explains an on-demand snapshot.
	Description string `json:"description,omitempty"`
	// ReplicaSetName names the replica set (replica-set snapshots).
	ReplicaSetName string `json:"replicaSetName,omitempty"`
	// CloudProvider is where the snapshot is stored (replica-set snapshots).
	CloudProvider CloudProvider `json:"cloudProvider,omitempty"`
	// CopyRegions lists the regions the snapshot is copied to (replica-set snapshots).
	CopyRegions []string `json:"copyRegions,omitempty"`
	// CreatedAt is when the snapshot was taken (UTC); zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// ExpiresAt is when Atlas deletes the snapshot (UTC); zero when absent.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// MongodVersion is the MongoDB version the snapshot backs up.
	MongodVersion string `json:"mongodVersion,omitempty"`
	// MasterKeyUUID identifies the KMS key that encrypts the snapshot, when encryption is on.
	MasterKeyUUID string `json:"masterKeyUUID,omitempty"`
	// PolicyItems identifies the backup policy items that took the snapshot.
	PolicyItems []string `json:"policyItems,omitempty"`
	// StorageSizeBytes is the snapshot's size when it was taken.
	StorageSizeBytes int64 `json:"storageSizeBytes,omitempty"`
	// ConfigServerType describes the config server (sharded-cluster snapshots).
	ConfigServerType string `json:"configServerType,omitempty"`
	// Members lists the snapshot of each shard and config host (sharded-cluster snapshots).
	Members []SnapshotMember `json:"members,omitempty"`
	// SnapshotIDs identifies the snapshots of the shards and config host (sharded-cluster
	// snapshots); they match Members[i].ID.
	SnapshotIDs []string `json:"snapshotIds,omitempty"`
	// Links are the RFC 5988 links the server attached.
	Links []Link `json:"links,omitempty"`
}

// SnapshotMember is the snapshot of one shard or config host of a sharded cluster.
type SnapshotMember struct {
	// ID identifies the member's snapshot.
	ID string `json:"id,omitempty"`
	// CloudProvider is where the member's snapshot is stored.
	CloudProvider CloudProvider `json:"cloudProvider,omitempty"`
	// ReplicaSetName names the shard or config host.
	ReplicaSetName string `json:"replicaSetName,omitempty"`
}

// SnapshotPage is one page of snapshots, as SnapshotsService.List and ListSharded return it.
type SnapshotPage = Page[Snapshot]

// TakeSnapshotRequest is the body of SnapshotsService.Take (the API's
// DiskBackupOnDemandSnapshotRequest).
type TakeSnapshotRequest struct {
	// Description explains the snapshot's purpose. Optional.
	Description string `json:"description,omitempty"`
	// RetentionInDays is how long Atlas keeps the snapshot, at least 1; zero leaves it to
	// Atlas.
	RetentionInDays int `json:"retentionInDays,omitempty"`
}
