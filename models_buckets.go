package atlas

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
type ExportBucketPage = Page[ExportBucket]

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
