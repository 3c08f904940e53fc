package atlastest

import (
	"fmt"
	"net/http"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/internal/pattern"
)

// call is what the API wrapper hands an operation's handler: where the request points and
// the resource version it gets.
type call struct {
	groupID, clusterName string // clusterName is empty for project-level operations
	version              resourceVersion
}

// api wraps an operation's handler with what every API request goes through, in the order the
// service applies it: the route's count and faults, authentication, rate limit, content
// negotiation, path parameter validation, then the project (404 or 403) and, for
// cluster-level operations, the cluster (404).
func (s *Server) api(op operation, h func(http.ResponseWriter, *http.Request, *call)) http.Handler {
	return s.route(op.route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authenticate(w, r) || !s.allow(w, r, s.apiLimiter) {
			return
		}
		v, ok := negotiate(w, r, op)
		if !ok || !checkPathParams(w, r) {
			return
		}
		c := &call{groupID: r.PathValue("groupId"), clusterName: r.PathValue("clusterName"), version: v}
		if s.inScope(w, r, op, c) {
			h(w, r, c)
		}
	}))
}

// refusal is an error answer decided while s.mu is held and written after it is released.
type refusal struct {
	status       int
	code, detail string
	fields       []atlas.FieldViolation
}

// notFound is the 404 refusal for an unknown resource.
func notFound(code, format string, args ...any) *refusal {
	return &refusal{status: http.StatusNotFound, code: code, detail: fmt.Sprintf(format, args...)}
}

// respond runs decide under s.mu and, once the lock is released, writes what it returned: a
// *refusal as its ApiError, no body (a 204) as only the status, any other body as JSON of the
// request's resource version.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, c *call, decide func() (status int, body any)) {
	s.mu.Lock()
	status, body := decide()
	s.mu.Unlock()
	switch body := body.(type) {
	case *refusal:
		writeAPIError(w, r, body.status, body.code, body.detail, body.fields...)
	case nil:
		w.Header().Set("Content-Type", c.version.mediaType)
		w.WriteHeader(status)
	default:
		if s.cfg.sparse {
			body = sparse(body)
		}
		writeBody(w, r, status, c.version.mediaType, body)
	}
}

// idParams are the id path parameters, each with the name the service's message gives it.
var idParams = []struct{ name, label string }{
	{"exportId", "export"},
	{"exportBucketId", "export bucket"},
	{"snapshotId", "snapshot"},
}

// checkPathParams answers 400 for a path parameter that breaks the spec's pattern.
func checkPathParams(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("groupId"); !pattern.ObjectID.MatchString(id) {
		writeAPIError(w, r, http.StatusBadRequest, "INVALID_GROUP_ID",
			fmt.Sprintf("An invalid group ID %s was specified.", id),
			atlas.FieldViolation{Field: "groupId", Description: "must match " + pattern.ObjectID.String()})
		return false
	}
	if name := r.PathValue("clusterName"); name != "" && !pattern.ClusterName.MatchString(name) {
		writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
			fmt.Sprintf("An invalid cluster name %s was specified.", name),
			atlas.FieldViolation{Field: "clusterName", Description: "must match " + pattern.ClusterName.String()})
		return false
	}
	for _, p := range idParams {
		if id := r.PathValue(p.name); id != "" && !pattern.ObjectID.MatchString(id) {
			writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
				fmt.Sprintf("An invalid %s ID %s was specified.", p.label, id),
				atlas.FieldViolation{Field: p.name, Description: "must match " + pattern.ObjectID.String()})
			return false
		}
	}
	return true
}

// inScope answers 404 for an unknown project or cluster and 403 when the project's access
// does not allow the operation.
func (s *Server) inScope(w http.ResponseWriter, r *http.Request, op operation, c *call) bool {
	s.mu.Lock()
	g, groupOK := s.groups[c.groupID]
	access := s.access[c.groupID]
	clusterOK := groupOK && (c.clusterName == "" || g.clusters[c.clusterName] != nil)
	s.mu.Unlock()
	switch {
	case !groupOK:
		writeAPIError(w, r, http.StatusNotFound, "GROUP_NOT_FOUND",
			fmt.Sprintf("No group with ID %s exists.", c.groupID))
	case !access.allows(op.need):
		writeAPIError(w, r, http.StatusForbidden, "USER_UNAUTHORIZED",
			"Current user is not authorized to perform this action.")
	case !clusterOK:
		writeAPIError(w, r, http.StatusNotFound, "CLUSTER_NOT_FOUND",
			fmt.Sprintf("No cluster named %s exists in group %s.", c.clusterName, c.groupID))
	default:
		return true
	}
	return false
}
