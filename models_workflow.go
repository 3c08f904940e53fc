package atlas

import "time"

// CloudProvider names the cloud an export bucket or snapshot lives in. It is an open set:
// a provider this SDK does not know is kept as the server sent it.
type CloudProvider string

// The cloud providers the API documents.
const (
	CloudProviderAWS   CloudProvider = "AWS"
	CloudProviderAzure CloudProvider = "AZURE"
	CloudProviderGCP   CloudProvider = "GCP"
)

// ExportBucket is a bucket (or Azure container) that snapshots are exported to (the API's
// DiskBackupSnapshotExportBucketResponse). Which fields are set depends on CloudProvider.
type ExportBucket struct {
	// ID identifies the export bucket (24 hexadecimal characters); "_id" on the wire.
	ID string `json:"_id,omitempty"`
	// BucketName names the S3 bucket, Azure container or Google Cloud Storage bucket.
	BucketName string `json:"bucketName,omitempty"`
	// CloudProvider is the bucket's cloud.
	CloudProvider CloudProvider `json:"cloudProvider,omitempty"`
	// IAMRoleID identifies the unified AWS access role Atlas uses (AWS only).
	IAMRoleID string `json:"iamRoleId,omitempty"`
	// Region is the bucket's AWS region, set by Atlas (AWS only).
	Region string `json:"region,omitempty"`
	// RequirePrivateNetworking says whether exports go over private networking.
	RequirePrivateNetworking bool `json:"requirePrivateNetworking,omitempty"`
	// RoleID identifies the cloud provider access role Atlas uses (Azure and GCP).
	RoleID string `json:"roleId,omitempty"`
	// ServiceURL is the Azure storage account's URL (Azure only).
	ServiceURL string `json:"serviceUrl,omitempty"`
	// TenantID is the Azure Active Directory tenant (Azure only).
	TenantID string `json:"tenantId,omitempty"`
	// Links are the RFC 5988 links the server attached.
	Links []Link `json:"links,omitempty"`
}

// ExportBucketPage is one page of export buckets, as ExportBucketsService.List returns it.
type ExportBucketPage struct {
	// Results holds the buckets of this page.
	Results []*ExportBucket `json:"results"`
	// TotalCount is the server's estimate of all buckets; zero when the count was not requested.
	TotalCount int `json:"totalCount,omitempty"`
	// Links are the page's links; a "next" link means another page follows.
	Links []Link `json:"links,omitempty"`
}

// CreateExportBucketRequest is the body of ExportBucketsService.Create (the API's
// DiskBackupSnapshotExportBucketRequest). CloudProvider decides which fields are required:
// AWS needs BucketName and IAMRoleID; Azure needs RoleID and ServiceURL; GCP needs BucketName
// and RoleID. Create refuses a request missing one before sending it.
type CreateExportBucketRequest struct {
	// CloudProvider is the bucket's cloud. Required.
	CloudProvider CloudProvider `json:"cloudProvider"`
	// BucketName names the bucket or container, 3 to 63 characters (AWS and GCP; optional
	// for Azure).
	BucketName string `json:"bucketName,omitempty"`
	// IAMRoleID identifies the unified AWS access role (AWS).
	IAMRoleID string `json:"iamRoleId,omitempty"`
	// RoleID identifies the cloud provider access role (Azure and GCP).
	RoleID string `json:"roleId,omitempty"`
	// ServiceURL is the Azure storage account's URL, such as
	// https://account.blob.core.windows.net/container (Azure).
	ServiceURL string `json:"serviceUrl,omitempty"`
	// TenantID is the Azure Active Directory tenant. Deprecated by the API: it is ignored and
	// the role's tenant is used.
	TenantID string `json:"tenantId,omitempty"`
	// RequirePrivateNetworking asks for exports over private networking. Optional.
	RequirePrivateNetworking bool `json:"requirePrivateNetworking,omitempty"`
}

// UpdateExportBucketRequest is the body of ExportBucketsService.Update: the one setting of a
// bucket that can change.
type UpdateExportBucketRequest struct {
	// RequirePrivateNetworking turns private networking on or off; it is always sent.
	RequirePrivateNetworking bool `json:"requirePrivateNetworking"`
}

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
type SnapshotPage struct {
	// Results holds the snapshots of this page.
	Results []*Snapshot `json:"results"`
	// TotalCount is the server's estimate of all snapshots; zero when the count was not
	// requested.
	TotalCount int `json:"totalCount,omitempty"`
	// Links are the page's links; a "next" link means another page follows.
	Links []Link `json:"links,omitempty"`
}

// TakeSnapshotRequest is the body of SnapshotsService.Take (the API's
// DiskBackupOnDemandSnapshotRequest).
type TakeSnapshotRequest struct {
	// Description explains the snapshot's purpose. Optional.
	Description string `json:"description,omitempty"`
	// RetentionInDays is how long Atlas keeps the snapshot, at least 1; zero leaves it to
	// Atlas.
	RetentionInDays int `json:"retentionInDays,omitempty"`
}
