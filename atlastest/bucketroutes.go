package atlastest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/atlas-exports/atlas"
)

// bucketProviders is the request schema's discriminator: the attributes each cloud provider
// takes, and those it requires.
var bucketProviders = map[atlas.CloudProvider]struct{ takes, requires []string }{
	atlas.CloudProviderAWS:   {[]string{"bucketName", "iamRoleId", "requirePrivateNetworking"}, []string{"bucketName", "iamRoleId"}},
	atlas.CloudProviderAzure: {[]string{"bucketName", "roleId", "serviceUrl", "tenantId"}, []string{"roleId", "serviceUrl"}},
	atlas.CloudProviderGCP:   {[]string{"bucketName", "roleId"}, []string{"bucketName", "roleId"}},
}

// providerAttributes are the request attributes whose presence depends on the provider.
var providerAttributes = []string{"bucketName", "iamRoleId", "requirePrivateNetworking", "roleId", "serviceUrl", "tenantId"}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// listBuckets serves GET .../backup/exportBuckets with the spec's paging parameters. The
// deprecated 2023-01-01 version lists AWS buckets only.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, c *call) {
	p, ok := readPaging(w, r)
	if !ok {
		return
	}
	s.respond(w, r, c, func() (int, any) {
		recs := s.groups[c.groupID].buckets
		if c.version == v20230101 {
			recs = slices.DeleteFunc(slices.Clone(recs), func(rec *bucketRecord) bool {
				return rec.bucket.CloudProvider != atlas.CloudProviderAWS
			})
		}
		return http.StatusOK, pageOf(r, p, recs, func(rec *bucketRecord) *atlas.ExportBucket { return bucketView(r, c, rec) })
	})
}

// getBucket serves GET .../backup/exportBuckets/{exportBucketId}.
func (s *Server) getBucket(w http.ResponseWriter, r *http.Request, c *call) {
	s.withBucket(w, r, c, func(rec *bucketRecord) (int, any) { return http.StatusOK, bucketView(r, c, rec) })
}

// deleteBucket serves DELETE .../backup/exportBuckets/{exportBucketId}: 204 with no body.
func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request, c *call) {
	s.withBucket(w, r, c, func(rec *bucketRecord) (int, any) {
		s.removeBucket(rec)
		return http.StatusNoContent, nil
	})
}

// updateBucket serves PATCH .../backup/exportBuckets/{exportBucketId}, which changes only
// requirePrivateNetworking. The spec answers it with the AWS bucket schema and gives the
// attribute to AWS buckets only, so the fake refuses it for other providers.
func (s *Server) updateBucket(w http.ResponseWriter, r *http.Request, c *call) {
	f, ok := readFields(w, r, "UpdateRequirePrivateNetworkingRequest")
	if !ok {
		return
	}
	private := f.boolean("requirePrivateNetworking", true)
	f.only("requirePrivateNetworking")
	if f.refuse(w, r) {
		return
	}
	s.withBucket(w, r, c, func(rec *bucketRecord) (int, any) {
		if p := rec.bucket.CloudProvider; p != atlas.CloudProviderAWS {
			return 0, &refusal{status: http.StatusBadRequest, code: "VALIDATION_ERROR",
				detail: fmt.Sprintf("Export bucket %s is on %s; private networking applies to AWS export buckets only.", rec.bucket.ID, p),
				fields: []atlas.FieldViolation{{Field: "requirePrivateNetworking", Description: "applies to AWS export buckets only"}}}
		}
		rec.bucket.RequirePrivateNetworking = private
		return http.StatusOK, bucketView(r, c, rec)
	})
}

// withBucket responds with what do decides for the bucket the path names; an unknown bucket
// is answered 404.
func (s *Server) withBucket(w http.ResponseWriter, r *http.Request, c *call, do func(*bucketRecord) (int, any)) {
	id := r.PathValue("exportBucketId")
	s.respond(w, r, c, func() (int, any) {
		rec := s.findBucket(c.groupID, id)
		if rec == nil {
			return 0, notFound("EXPORT_BUCKET_NOT_FOUND", "No export bucket with ID %s exists in group %s.", id, c.groupID)
		}
		return do(rec)
	})
}

// createBucket serves POST .../backup/exportBuckets. The deprecated 2023-01-01 version takes
// AWS buckets only.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, c *call) {
	f, ok := readFields(w, r, "DiskBackupSnapshotExportBucketRequest")
	if !ok {
		return
	}
	b := decodeBucketRequest(f, c.version)
	if f.refuse(w, r) {
		return
	}
	b.ID = newObjectID()
	fillBucket(b)
	s.respond(w, r, c, func() (int, any) {
		rec := &bucketRecord{groupID: c.groupID, bucket: *b}
		s.storeBucket(rec)
		return http.StatusOK, bucketView(r, c, rec)
	})
}

// decodeBucketRequest reads a DiskBackupSnapshotExportBucketRequest: cloudProvider decides
// which attributes are taken and required (see bucketProviders); bucketName is 3 to 63
// characters; the role ids match the id pattern; serviceUrl is an https URL on
// blob.core.windows.net, 33 to 2048 characters, and names the container when bucketName does
// not. tenantId must be a UUID but is ignored, as the spec says: the role's tenant is used.
func decodeBucketRequest(f *fields, v resourceVersion) *atlas.ExportBucket {
	b := &atlas.ExportBucket{CloudProvider: atlas.CloudProvider(f.str("cloudProvider", true))}
	p, known := bucketProviders[b.CloudProvider]
	switch {
	case f.has("cloudProvider") && !known && !f.violated("cloudProvider"):
		f.violate("cloudProvider", "must be one of AWS, AZURE, GCP")
	case known && v == v20230101 && b.CloudProvider != atlas.CloudProviderAWS:
		f.violate("cloudProvider", "must be AWS in resource version "+v.String())
	}
	for _, name := range providerAttributes {
		if known && f.has(name) && !slices.Contains(p.takes, name) {
			f.violate(name, "is not an attribute of "+string(b.CloudProvider)+" export buckets")
			delete(f.raw, name)
		}
	}
	required := func(name string) bool { return slices.Contains(p.requires, name) }
	b.BucketName = f.length("bucketName", required("bucketName"), 3, 63)
	b.IAMRoleID = f.id("iamRoleId", required("iamRoleId"))
	b.RoleID = f.id("roleId", required("roleId"))
	b.RequirePrivateNetworking = f.boolean("requirePrivateNetworking", false)
	if b.ServiceURL = f.length("serviceUrl", required("serviceUrl"), 33, 2048); b.ServiceURL != "" && !f.violated("serviceUrl") {
		container, ok := azureContainer(b.ServiceURL)
		switch {
		case !ok:
			f.violate("serviceUrl", "must be an https URL on a standard endpoint (blob.core.windows.net)")
		case b.BucketName != "" || f.violated("bucketName"):
		case container == "":
			f.violate("bucketName", "is required when serviceUrl names no container")
		case len(container) < 3 || len(container) > 63:
			f.violate("serviceUrl", "must name a container of 3 to 63 characters when bucketName is not given")
		default:
			b.BucketName = container
		}
	}
	if t := f.str("tenantId", false); t != "" && !uuidPattern.MatchString(t) {
		f.violate("tenantId", "must be a UUID")
	}
	f.only(append([]string{"cloudProvider", "links"}, providerAttributes...)...) // links is read-only: ignored
	return b
}

// azureContainer checks an Azure storage URL and returns the container its path names.
func azureContainer(serviceURL string) (container string, ok bool) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Hostname(), ".blob.core.windows.net") {
		return "", false
	}
	container, _, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return container, true
}

// bucketView is a copy of a stored bucket as the service sends it: only the fields of its
// provider's shape, and a self link when it has no links. Callers hold s.mu.
func bucketView(r *http.Request, c *call, rec *bucketRecord) *atlas.ExportBucket {
	b := &rec.bucket
	v := &atlas.ExportBucket{ID: b.ID, BucketName: b.BucketName, CloudProvider: b.CloudProvider, Links: slices.Clone(b.Links)}
	switch b.CloudProvider {
	case atlas.CloudProviderAWS:
		v.IAMRoleID, v.Region, v.RequirePrivateNetworking = b.IAMRoleID, b.Region, b.RequirePrivateNetworking
	case atlas.CloudProviderAzure:
		v.RoleID, v.ServiceURL, v.TenantID = b.RoleID, b.ServiceURL, b.TenantID
	case atlas.CloudProviderGCP:
		v.RoleID = b.RoleID
	default:
		v = cloneBucket(b)
	}
	if len(v.Links) == 0 {
		v.Links = selfLinks(r, expand(bucketPath, c.groupID, v.ID))
	}
	return v
}
