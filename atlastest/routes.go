package atlastest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Route names, as Server.Requests counts them and Fault.Route matches them.
const (
	// RouteListExports is GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports.
	RouteListExports = "listExports"
	// RouteCreateExport is POST on the same path.
	RouteCreateExport = "createExport"
	// RouteGetExport is GET .../backup/exports/{exportId}.
	RouteGetExport = "getExport"
	// RouteListExportBuckets is GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets.
	RouteListExportBuckets = "listExportBuckets"
	// RouteCreateExportBucket is POST on the same path.
	RouteCreateExportBucket = "createExportBucket"
	// RouteGetExportBucket is GET .../backup/exportBuckets/{exportBucketId}.
	RouteGetExportBucket = "getExportBucket"
	// RouteUpdateExportBucket is PATCH .../backup/exportBuckets/{exportBucketId}.
	RouteUpdateExportBucket = "updateExportBucket"
	// RouteDeleteExportBucket is DELETE .../backup/exportBuckets/{exportBucketId}.
	RouteDeleteExportBucket = "deleteExportBucket"
	// RouteListSnapshots is GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots.
	RouteListSnapshots = "listSnapshots"
	// RouteTakeSnapshot is POST on the same path.
	RouteTakeSnapshot = "takeSnapshot"
	// RouteGetSnapshot is GET .../backup/snapshots/{snapshotId}.
	RouteGetSnapshot = "getSnapshot"
	// RouteListShardedSnapshots is GET .../backup/snapshots/shardedClusters.
	RouteListShardedSnapshots = "listShardedSnapshots"
	// RouteGetShardedSnapshot is GET .../backup/snapshots/shardedCluster/{snapshotId}.
	RouteGetShardedSnapshot = "getShardedSnapshot"
	// RouteToken is POST /api/oauth/token.
	RouteToken = "token"
	// RouteRevoke is POST /api/oauth/revoke.
	RouteRevoke = "revoke"
	// RouteUnknown is any other method or path; the server answers 404 or 405.
	RouteUnknown = "unknown"
)

// Paths the fake serves, as http.ServeMux patterns. The mux prefers a literal segment to a
// wildcard, so .../snapshots/shardedClusters is never taken for a snapshot id.
const (
	groupPath            = "/api/atlas/v2/groups/{groupId}"
	clusterPath          = groupPath + "/clusters/{clusterName}"
	exportsPath          = clusterPath + "/backup/exports"
	exportPath           = exportsPath + "/{exportId}"
	bucketsPath          = groupPath + "/backup/exportBuckets"
	bucketPath           = bucketsPath + "/{exportBucketId}"
	snapshotsPath        = clusterPath + "/backup/snapshots"
	snapshotPath         = snapshotsPath + "/{snapshotId}"
	shardedSnapshotsPath = snapshotsPath + "/shardedClusters"
	shardedSnapshotPath  = snapshotsPath + "/shardedCluster/{snapshotId}"
	tokenPath            = "/api/oauth/token"
	revokePath           = "/api/oauth/revoke"
)

// operation is what the API wrapper needs to know of one operation of the spec.
type operation struct {
	route    string
	need     need
	versions []resourceVersion // oldest first
	body     bool              // the request carries a JSON body, so its Content-Type is negotiated too
}

// Each operation's resource versions, as the spec declares them. The bucket list and create
// also still serve the deprecated, AWS-only 2023-01-01 version.
var (
	firstVersions    = []resourceVersion{v20230101}
	bucketVersions   = []resourceVersion{v20240530}
	deprecatedBucket = []resourceVersion{v20230101, v20240530}
)

var (
	opListExports          = operation{route: RouteListExports, need: accessRead, versions: firstVersions}
	opCreateExport         = operation{route: RouteCreateExport, need: accessWrite, versions: firstVersions, body: true}
	opGetExport            = operation{route: RouteGetExport, need: accessRead, versions: firstVersions}
	opListExportBuckets    = operation{route: RouteListExportBuckets, need: accessRead, versions: deprecatedBucket}
	opCreateExportBucket   = operation{route: RouteCreateExportBucket, need: accessWrite, versions: deprecatedBucket, body: true}
	opGetExportBucket      = operation{route: RouteGetExportBucket, need: accessRead, versions: bucketVersions}
	opUpdateExportBucket   = operation{route: RouteUpdateExportBucket, need: accessWrite, versions: bucketVersions, body: true}
	opDeleteExportBucket   = operation{route: RouteDeleteExportBucket, need: accessWrite, versions: firstVersions}
	opListSnapshots        = operation{route: RouteListSnapshots, need: accessRead, versions: firstVersions}
	opTakeSnapshot         = operation{route: RouteTakeSnapshot, need: accessWrite, versions: firstVersions, body: true}
	opGetSnapshot          = operation{route: RouteGetSnapshot, need: accessRead, versions: firstVersions}
	opListShardedSnapshots = operation{route: RouteListShardedSnapshots, need: accessRead, versions: firstVersions}
	opGetShardedSnapshot   = operation{route: RouteGetShardedSnapshot, need: accessRead, versions: firstVersions}
)

// routes builds the mux. Method-less patterns let the fake answer a wrong method with a 405
// ApiError, as the service does, instead of the mux's plain-text one.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(path string, byMethod map[string]http.Handler) { mux.Handle(path, s.byMethod(byMethod)) }
	handle(exportsPath, map[string]http.Handler{
		http.MethodGet:  s.api(opListExports, s.listExports),
		http.MethodPost: s.api(opCreateExport, s.createExport),
	})
	handle(exportPath, map[string]http.Handler{http.MethodGet: s.api(opGetExport, s.getExport)})
	handle(bucketsPath, map[string]http.Handler{
		http.MethodGet:  s.api(opListExportBuckets, s.listBuckets),
		http.MethodPost: s.api(opCreateExportBucket, s.createBucket),
	})
	handle(bucketPath, map[string]http.Handler{
		http.MethodGet:    s.api(opGetExportBucket, s.getBucket),
		http.MethodPatch:  s.api(opUpdateExportBucket, s.updateBucket),
		http.MethodDelete: s.api(opDeleteExportBucket, s.deleteBucket),
	})
	handle(snapshotsPath, map[string]http.Handler{
		http.MethodGet:  s.api(opListSnapshots, s.listSnapshots(replicaSet)),
		http.MethodPost: s.api(opTakeSnapshot, s.takeSnapshot),
	})
	handle(snapshotPath, map[string]http.Handler{http.MethodGet: s.api(opGetSnapshot, s.getSnapshot(replicaSet))})
	handle(shardedSnapshotsPath, map[string]http.Handler{http.MethodGet: s.api(opListShardedSnapshots, s.listSnapshots(shardedCluster))})
	handle(shardedSnapshotPath, map[string]http.Handler{http.MethodGet: s.api(opGetShardedSnapshot, s.getSnapshot(shardedCluster))})
	handle(tokenPath, map[string]http.Handler{http.MethodPost: s.route(RouteToken, http.HandlerFunc(s.grantToken))})
	handle(revokePath, map[string]http.Handler{http.MethodPost: s.route(RouteRevoke, http.HandlerFunc(s.revokeToken))})
	mux.Handle("/", s.route(RouteUnknown, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, r, http.StatusNotFound, "RESOURCE_NOT_FOUND",
			fmt.Sprintf("Cannot find resource %s.", r.URL.Path))
	})))
	return mux
}

// byMethod dispatches on the request method and answers any other with 405.
func (s *Server) byMethod(handlers map[string]http.Handler) http.Handler {
	allow := strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")
	notAllowed := s.route(RouteUnknown, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeAPIError(w, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			fmt.Sprintf("Method %s is not allowed for %s.", r.Method, r.URL.Path))
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := handlers[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		notAllowed.ServeHTTP(w, r)
	})
}

// route counts the request under name, applies a pending fault, and otherwise hands the
// request to h. It also tracks the request so Close can wait for it.
func (s *Server) route(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeAPIError(w, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The server is shutting down.")
			return
		}
		s.inflight.Add(1)
		defer s.inflight.Done()
		s.requests[name]++
		f := s.takeFault(name)
		s.mu.Unlock()

		if f != nil && s.applyFault(w, r, f) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// expand fills a path pattern's wildcards, in order, with values (path-escaped), giving the
// path a link points to.
func expand(pattern string, values ...string) string {
	var b strings.Builder
	for _, v := range values {
		i := strings.IndexByte(pattern, '{')
		j := strings.IndexByte(pattern, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(pattern[:i])
		b.WriteString(url.PathEscape(v))
		pattern = pattern[j+1:]
	}
	b.WriteString(pattern)
	return b.String()
}
