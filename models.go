package atlas

import "time"

// ExportJob is one Cloud Backup snapshot export job (the API's DiskBackupExportJob).
//
// Field names follow the wire names, so json.Marshal of a decoded job reproduces the document
// the server sent. Optional parts that the server may leave out are pointers (ExportStatus,
// StateReason) so that "absent" and "zero" stay distinct; timestamps are zero when absent.
type ExportJob struct {
	// ID identifies the export job (24 hexadecimal characters).
	ID string `json:"id,omitempty"`
	// SnapshotID identifies the snapshot being exported.
	SnapshotID string `json:"snapshotId,omitempty"`
	// ExportBucketID identifies the export bucket the snapshot is written to.
	ExportBucketID string `json:"exportBucketId,omitempty"`
	// Prefix is the object-storage prefix of every object the job uploads.
	Prefix string `json:"prefix,omitempty"`
	// State is the job's state. A state this SDK does not know is kept as sent.
	State ExportState `json:"state,omitempty"`
	// StateReason explains a failed job; nil when the server sent none.
	StateReason *StateReason `json:"stateReason,omitempty"`
	// ExportStatus counts the collections exported so far; nil when the server sent none.
	ExportStatus *ExportStatus `json:"exportStatus,omitempty"`
	// CreatedAt is when the job was created (UTC); zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// FinishedAt is when the job finished (UTC); zero while it runs.
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Components holds one entry per replica set of a sharded cluster.
	Components []ExportComponent `json:"components,omitempty"`
	// CustomData is the key-value metadata written beside the export.
	CustomData []Label `json:"customData,omitempty"`
	// Links are the RFC 5988 links the server attached.
	Links []Link `json:"links,omitempty"`
}

// ExportState is the state of an export job. It is an open set: the constants below are the
// states the API documents, and any other value a newer server sends is kept as it came.
type ExportState string

// The export job states the API documents.
const (
	ExportStateQueued     ExportState = "Queued"
	ExportStateInProgress ExportState = "InProgress"
	ExportStateSuccessful ExportState = "Successful"
	ExportStateFailed     ExportState = "Failed"
	ExportStateCancelled  ExportState = "Cancelled"
)

// IsTerminal reports whether a job in state s will not change any more: Successful, Failed or
// Cancelled. Unknown states are not terminal, so a waiter keeps polling through them.
func (s ExportState) IsTerminal() bool {
	switch s {
	case ExportStateSuccessful, ExportStateFailed, ExportStateCancelled:
		return true
	}
	return false
}

// StateReason says why a job is in its state; the server sets it when a job failed.
type StateReason struct {
	// ErrorCode is the machine-readable reason.
	ErrorCode string `json:"errorCode,omitempty"`
	// Message is the human-readable reason.
	Message string `json:"message,omitempty"`
}

// ExportStatus counts the collections of a job: how many are exported of the total.
type ExportStatus struct {
	// ExportedCollections is the number of collections exported so far.
	ExportedCollections int32 `json:"exportedCollections"`
	// TotalCollections is the number of collections the job will export.
	TotalCollections int32 `json:"totalCollections"`
}

// ExportComponent is the export job of one replica set of a sharded cluster.
type ExportComponent struct {
	// ExportID identifies the export job of this replica set.
	ExportID string `json:"exportId,omitempty"`
	// ReplicaSetName names the replica set.
	ReplicaSetName string `json:"replicaSetName,omitempty"`
}

// Label is one key-value pair of custom data (the API's BackupLabel).
type Label struct {
	// Key is the label's key.
	Key string `json:"key,omitempty"`
	// Value is the label's value.
	Value string `json:"value,omitempty"`
}

// Link is an RFC 5988 link to a related resource.
type Link struct {
	// Href is the link's URL.
	Href string `json:"href,omitempty"`
	// Rel names the relation, such as "self" or "next".
	Rel string `json:"rel,omitempty"`
}

// Page is one page of a list: ExportJobPage, ExportBucketPage and SnapshotPage are its
// instances.
type Page[T any] struct {
	// Results holds the items of this page.
	Results []*T `json:"results"`
	// TotalCount is the server's estimate of all items; zero when the count was not
	// requested (ListOptions.OmitCount).
	TotalCount int `json:"totalCount,omitempty"`
	// Links are the page's links; a "next" link means another page follows.
	Links []Link `json:"links,omitempty"`
}

// ExportJobPage is one page of export jobs, as ExportsService.List returns it.
type ExportJobPage = Page[ExportJob]

// CreateExportJobRequest is the body of Create (the API's DiskBackupExportJobRequest).
type CreateExportJobRequest struct {
	// SnapshotID identifies the snapshot to export (24 hexadecimal characters). Required.
	SnapshotID string `json:"snapshotId"`
	// ExportBucketID identifies the export bucket (24 hexadecimal characters). Required.
	ExportBucketID string `json:"exportBucketId"`
	// CustomData is written to the metadata file beside the export. Optional.
	CustomData []Label `json:"customData,omitempty"`
}
