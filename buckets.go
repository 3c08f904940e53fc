package atlas

import (
	"context"
	"iter"
	"strings"
)

// ExportBucketsService has the export-bucket operations: where snapshots are exported to.
// Use it as Client.ExportBuckets.
type ExportBucketsService struct {
	client *Client
}

// List returns one page of a project's export buckets. opts may be nil.
//
// GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets (resource version 2024-05-30)
//
// It needs the Project Read Only role. The arguments are checked and the errors are those of
// ExportsService.List, without a cluster.
func (s *ExportBucketsService) List(ctx context.Context, groupID string, opts *ListOptions) (*ExportBucketPage, error) {
	path, err := projectOpPath(ctx, groupID, "/backup/exportBuckets", "", "")
	if err != nil {
		return nil, err
	}
	return listPage[ExportBucket](ctx, s.client, path, MediaTypeExportBuckets, opts)
}

// All walks every export bucket of a project, page by page, as ExportsService.All walks jobs.
func (s *ExportBucketsService) All(ctx context.Context, groupID string, opts *ListOptions) iter.Seq2[*ExportBucket, error] {
	return walk(ctx, opts, func(v *ExportBucket) string { return v.ID }, func(ctx context.Context, o *ListOptions) (*Page[ExportBucket], error) {
		return s.List(ctx, groupID, o)
	})
}

// Get returns one export bucket.
//
// GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets/{exportBucketId} (2024-05-30)
//
// It needs the Project Read Only role. Expect ErrNotFound for an unknown group or bucket,
// ErrInvalidResponse for an answer about another bucket, and the errors of List.
func (s *ExportBucketsService) Get(ctx context.Context, groupID, exportBucketID string) (*ExportBucket, error) {
	path, err := projectOpPath(ctx, groupID, "/backup/exportBuckets", "exportBucketID", exportBucketID)
	if err != nil {
		return nil, err
	}
	r := get(path, MediaTypeExportBuckets)
	return doOne(ctx, s.client, r, "export bucket", exportBucketID, func(b *ExportBucket) string { return b.ID })
}

// Create grants Atlas access to a bucket for exports and returns it with its ID.
//
// POST /api/atlas/v2/groups/{groupId}/backup/exportBuckets (2024-05-30)
//
// It needs the Project Backup Manager role. A field that req.CloudProvider requires (see
// CreateExportBucketRequest) missing, an unknown provider, a BucketName outside 3 to 63
// characters or holding "/" (a URL such as s3://nightly), or an id that is not 24 hex
// characters wraps ErrInvalidArgument and sends nothing. Like every create it is repeated only
// when the server certainly did not act on it.
func (s *ExportBucketsService) Create(ctx context.Context, groupID string, req *CreateExportBucketRequest) (*ExportBucket, error) {
	path, err := projectOpPath(ctx, groupID, "/backup/exportBuckets", "", "")
	if err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	r, err := post(path, MediaTypeExportBuckets, req)
	if err != nil {
		return nil, err
	}
	return doJSON[ExportBucket](ctx, s.client, r)
}

// check refuses a request the API would refuse, field by field of its provider.
func (req *CreateExportBucketRequest) check() error {
	if req == nil {
		return invalid("req", "is nil")
	}
	var required []string
	switch req.CloudProvider {
	case CloudProviderAWS:
		required = []string{"BucketName", "IAMRoleID"}
	case CloudProviderAzure:
		required = []string{"RoleID", "ServiceURL"}
	case CloudProviderGCP:
		required = []string{"BucketName", "RoleID"}
	case "":
		return invalid("CloudProvider", "is required: AWS, AZURE or GCP")
	default:
		return invalid("CloudProvider", "must be AWS, AZURE or GCP")
	}
	fields := map[string]string{"BucketName": req.BucketName, "IAMRoleID": req.IAMRoleID, "RoleID": req.RoleID, "ServiceURL": req.ServiceURL}
	for _, name := range required {
		if fields[name] == "" {
			return invalid(name, "is required for "+string(req.CloudProvider))
		}
	}
	if n := len(req.BucketName); req.BucketName != "" && (n < 3 || n > 63) {
		return invalid("BucketName", "must be 3 to 63 characters")
	}
	// No cloud allows "/" in a bucket or container name; a URL or a path here is a mistake
	// the API would answer with a bucket that can never be written.
	if strings.Contains(req.BucketName, "/") {
		return invalid("BucketName", "must be the bucket's name alone, not a URL or a path (such as my-bucket, not s3://my-bucket or my-bucket/prefix)")
	}
	for _, id := range []struct{ name, value string }{{"IAMRoleID", req.IAMRoleID}, {"RoleID", req.RoleID}} {
		if id.value != "" {
			if err := checkHexID(id.name, id.value); err != nil {
				return err
			}
		}
	}
	if req.ServiceURL != "" && (!strings.HasPrefix(req.ServiceURL, "https://") || len(req.ServiceURL) < 33 || len(req.ServiceURL) > 2048) {
		return invalid("ServiceURL", "must be an https URL of 33 to 2048 characters, such as https://account.blob.core.windows.net/container")
	}
	return nil
}

// Update changes whether exports to a bucket must use private networking, the one setting
// of a bucket that can change, and returns the bucket.
//
// PATCH /api/atlas/v2/groups/{groupId}/backup/exportBuckets/{exportBucketId} (2024-05-30)
//
// It needs the Project Backup Manager role. Expect the errors of Get.
func (s *ExportBucketsService) Update(ctx context.Context, groupID, exportBucketID string, req *UpdateExportBucketRequest) (*ExportBucket, error) {
	path, err := projectOpPath(ctx, groupID, "/backup/exportBuckets", "exportBucketID", exportBucketID)
	if err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalid("req", "is nil")
	}
	r, err := patch(path, MediaTypeExportBuckets, req)
	if err != nil {
		return nil, err
	}
	return doOne(ctx, s.client, r, "export bucket", exportBucketID, func(b *ExportBucket) string { return b.ID })
}

// Delete removes an export bucket from the project; the bucket itself and what was exported
// to it stay in the cloud.
//
// DELETE /api/atlas/v2/groups/{groupId}/backup/exportBuckets/{exportBucketId} (2023-01-01)
//
// It needs the Project Backup Manager role, and auto-export to the bucket must be off on every
// cluster. Expect ErrNotFound for an unknown group or bucket (also when a repeat after a
// lost answer finds it already gone), and the errors of List.
func (s *ExportBucketsService) Delete(ctx context.Context, groupID, exportBucketID string) error {
	path, err := projectOpPath(ctx, groupID, "/backup/exportBuckets", "exportBucketID", exportBucketID)
	if err != nil {
		return err
	}
	return s.client.do(ctx, del(path, MediaType), nil)
}
