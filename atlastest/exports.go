package atlastest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/atlas-exports/atlas"
)

// The spec's path parameter patterns.
var (
	objectIDPattern    = regexp.MustCompile(`^([a-f0-9]{24})$`)
	clusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
)

// Paging bounds from the spec's itemsPerPage and pageNum parameters.
const (
	defaultItemsPerPage = 100
	maxItemsPerPage     = 500
	maxCreateBody       = 1 << 20
)

// location is the project and cluster an export-job request addresses.
type location struct {
	groupID, clusterName string
}

// api wraps an export-job handler with what every such request goes through, in the order the
// service applies it: authentication, rate limit, content negotiation, path parameter
// validation, then the project (404 or 403) and the cluster (404).
func (s *Server) api(n need, h func(http.ResponseWriter, *http.Request, location)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authenticate(w, r) || !s.allow(w, r, s.apiLimiter) {
			return
		}
		if ok, code, detail := checkAccept(r.Header.Values("Accept")); !ok {
			writeAPIError(w, r, http.StatusNotAcceptable, code, detail)
			return
		}
		loc := location{groupID: r.PathValue("groupId"), clusterName: r.PathValue("clusterName")}
		if !objectIDPattern.MatchString(loc.groupID) {
			writeAPIError(w, r, http.StatusBadRequest, "INVALID_GROUP_ID",
				fmt.Sprintf("An invalid group ID %s was specified.", loc.groupID),
				fieldViolation{Field: "groupId", Description: "must match " + objectIDPattern.String()})
			return
		}
		if !clusterNamePattern.MatchString(loc.clusterName) {
			writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
				fmt.Sprintf("An invalid cluster name %s was specified.", loc.clusterName),
				fieldViolation{Field: "clusterName", Description: "must match " + clusterNamePattern.String()})
			return
		}
		if id := r.PathValue("exportId"); id != "" && !objectIDPattern.MatchString(id) {
			writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
				fmt.Sprintf("An invalid export ID %s was specified.", id),
				fieldViolation{Field: "exportId", Description: "must match " + objectIDPattern.String()})
			return
		}

		s.mu.Lock()
		g, groupOK := s.groups[loc.groupID]
		access := s.access[loc.groupID]
		clusterOK := groupOK && g.clusters[loc.clusterName] != nil
		s.mu.Unlock()
		switch {
		case !groupOK:
			writeAPIError(w, r, http.StatusNotFound, "GROUP_NOT_FOUND",
				fmt.Sprintf("No group with ID %s exists.", loc.groupID))
		case !access.allows(n):
			writeAPIError(w, r, http.StatusForbidden, "USER_UNAUTHORIZED",
				"Current user is not authorized to perform this action.")
		case !clusterOK:
			writeAPIError(w, r, http.StatusNotFound, "CLUSTER_NOT_FOUND",
				fmt.Sprintf("No cluster named %s exists in group %s.", loc.clusterName, loc.groupID))
		default:
			h(w, r, loc)
		}
	})
}

// getExport serves GET .../backup/exports/{exportId}.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request, loc location) {
	id := r.PathValue("exportId")
	s.mu.Lock()
	rec, ok := s.jobs[id]
	ok = ok && rec.groupID == loc.groupID && rec.clusterName == loc.clusterName
	var job *atlas.ExportJob
	if ok {
		s.catchUp(rec)
		if s.autoAdvance {
			s.step(rec)
		}
		job = cloneJob(&rec.job)
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, r, http.StatusNotFound, "EXPORT_JOB_NOT_FOUND",
			fmt.Sprintf("No export job with ID %s exists for cluster %s.", id, loc.clusterName))
		return
	}
	writeBody(w, r, http.StatusOK, mediaTypeVersioned, withSelfLink(r, loc, job))
}

// exportPage is the spec's PaginatedApiAtlasDiskBackupExportJobView. TotalCount is a pointer
// because includeCount=false must omit it while an empty list must still say 0.
type exportPage struct {
	Links      []atlas.Link       `json:"links"`
	Results    []*atlas.ExportJob `json:"results"`
	TotalCount *int               `json:"totalCount,omitempty"`
}

// listExports serves GET .../backup/exports with the spec's paging parameters.
func (s *Server) listExports(w http.ResponseWriter, r *http.Request, loc location) {
	q := r.URL.Query()
	var bad []fieldViolation
	items, ok := intParam(q, "itemsPerPage", defaultItemsPerPage, 1, maxItemsPerPage)
	if !ok {
		bad = append(bad, fieldViolation{Field: "itemsPerPage", Description: "must be an integer from 1 to 500"})
	}
	page, ok := intParam(q, "pageNum", 1, 1, int(^uint32(0)>>1))
	if !ok {
		bad = append(bad, fieldViolation{Field: "pageNum", Description: "must be an integer of at least 1"})
	}
	includeCount := true
	if v := q.Get("includeCount"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad = append(bad, fieldViolation{Field: "includeCount", Description: "must be true or false"})
		}
		includeCount = b
	}
	if len(bad) > 0 {
		writeAPIError(w, r, http.StatusBadRequest, "INVALID_PARAMETER",
			"Invalid query parameter "+bad[0].Field+".", bad...)
		return
	}

	s.mu.Lock()
	all := s.groups[loc.groupID].clusters[loc.clusterName].jobs
	total := len(all)
	start := min((page-1)*items, total)
	end := min(start+items, total)
	results := make([]*atlas.ExportJob, 0, end-start)
	for _, rec := range all[start:end] {
		s.catchUp(rec)
		results = append(results, cloneJob(&rec.job))
	}
	s.mu.Unlock()

	for _, j := range results {
		withSelfLink(r, loc, j)
	}
	out := exportPage{Results: results, Links: []atlas.Link{{Href: pageURL(r, page), Rel: "self"}}}
	if page > 1 {
		out.Links = append(out.Links, atlas.Link{Href: pageURL(r, page-1), Rel: "previous"})
	}
	if end < total {
		out.Links = append(out.Links, atlas.Link{Href: pageURL(r, page+1), Rel: "next"})
	}
	if includeCount {
		out.TotalCount = &total
	}
	writeBody(w, r, http.StatusOK, mediaTypeVersioned, out)
}

// intParam reads an integer query parameter with a default and bounds.
func intParam(q url.Values, name string, def, lo, hi int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def, false
	}
	return n, true
}

// createExport serves POST .../backup/exports.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request, loc location) {
	if !jsonContentType(r.Header.Get("Content-Type")) {
		writeAPIError(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			"The request body must be application/json or application/vnd.atlas.2023-01-01+json.")
		return
	}
	req, violations, err := decodeCreateRequest(http.MaxBytesReader(w, r.Body, maxCreateBody))
	if err != nil {
		writeAPIError(w, r, http.StatusBadRequest, "MALFORMED_JSON", "Received JSON is malformed.")
		return
	}
	if len(violations) > 0 {
		writeAPIError(w, r, http.StatusBadRequest, "VALIDATION_ERROR",
			"The request body is invalid: "+violations[0].Field+" "+violations[0].Description+".", violations...)
		return
	}

	s.mu.Lock()
	created := s.timestamp()
	job := atlas.ExportJob{
		ID:             newObjectID(),
		SnapshotID:     req.SnapshotID,
		ExportBucketID: req.ExportBucketID,
		Prefix: fmt.Sprintf("/exported_snapshots/%s/%s/%s/%s/%d", s.orgID, loc.groupID, loc.clusterName,
			created.Format("2006-01-02T1504Z"), created.Unix()),
		State:        atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: s.cfg.totalCollections},
		CreatedAt:    created,
		CustomData:   req.CustomData,
	}
	s.storeJob(&jobRecord{groupID: loc.groupID, clusterName: loc.clusterName, job: job, stepped: s.now()})
	s.mu.Unlock()
	writeBody(w, r, http.StatusOK, mediaTypeVersioned, withSelfLink(r, loc, cloneJob(&job)))
}

// decodeCreateRequest reads a DiskBackupExportJobRequest. It returns an error for a body that
// is not one JSON object, and field violations for everything the schema does not allow:
// missing or malformed ids, a malformed customData, unknown attributes. The read-only links
// attribute is ignored, as the service ignores it.
func decodeCreateRequest(body io.Reader) (atlas.CreateExportJobRequest, []fieldViolation, error) {
	var req atlas.CreateExportJobRequest
	data, err := io.ReadAll(body)
	if err != nil {
		return req, nil, err
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return req, nil, err
	}
	if dec.More() {
		return req, nil, errors.New("data after the JSON object")
	}
	if raw == nil { // the body was null
		return req, nil, errors.New("the body is not a JSON object")
	}

	var bad []fieldViolation
	idField := func(name string, dst *string) {
		v, present := raw[name]
		if !present || string(v) == "null" {
			bad = append(bad, fieldViolation{Field: name, Description: "is required"})
			return
		}
		if json.Unmarshal(v, dst) != nil {
			bad = append(bad, fieldViolation{Field: name, Description: "must be a string"})
			return
		}
		if !objectIDPattern.MatchString(*dst) {
			bad = append(bad, fieldViolation{Field: name, Description: "must match " + objectIDPattern.String()})
		}
	}
	idField("snapshotId", &req.SnapshotID)
	idField("exportBucketId", &req.ExportBucketID)
	if v, ok := raw["customData"]; ok && string(v) != "null" {
		req.CustomData, bad = decodeLabels(v, bad)
	}
	var unknown []string
	for k := range raw {
		switch k {
		case "snapshotId", "exportBucketId", "customData", "links":
		default:
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		bad = append(bad, fieldViolation{Field: k, Description: "is not an attribute of DiskBackupExportJobRequest"})
	}
	return req, bad, nil
}

// decodeLabels reads customData: an array of BackupLabel objects with string key and value.
func decodeLabels(v json.RawMessage, bad []fieldViolation) ([]atlas.Label, []fieldViolation) {
	var items []map[string]json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		return nil, append(bad, fieldViolation{Field: "customData", Description: "must be an array of objects with string key and value"})
	}
	labels := make([]atlas.Label, 0, len(items))
	for i, item := range items {
		var l atlas.Label
		for _, k := range slices.Sorted(maps.Keys(item)) {
			raw := item[k]
			field := fmt.Sprintf("customData[%d].%s", i, k)
			var dst *string
			switch k {
			case "key":
				dst = &l.Key
			case "value":
				dst = &l.Value
			default:
				bad = append(bad, fieldViolation{Field: field, Description: "is not an attribute of BackupLabel"})
				continue
			}
			if json.Unmarshal(raw, dst) != nil {
				bad = append(bad, fieldViolation{Field: field, Description: "must be a string"})
			}
		}
		labels = append(labels, l)
	}
	return labels, bad
}

// withSelfLink gives a job without links a self link, as the service sends one with every job.
func withSelfLink(r *http.Request, loc location, j *atlas.ExportJob) *atlas.ExportJob {
	if len(j.Links) == 0 {
		path := fmt.Sprintf("/api/atlas/v2/groups/%s/clusters/%s/backup/exports/%s",
			loc.groupID, url.PathEscape(loc.clusterName), j.ID)
		j.Links = []atlas.Link{{Href: baseURL(r) + path, Rel: "self"}}
	}
	return j
}

// baseURL is the scheme and host the client used, so links work wherever the fake listens.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pageURL is the request's URL with pageNum set to page, for the list's paging links.
func pageURL(r *http.Request, page int) string {
	q := r.URL.Query()
	q.Set("pageNum", strconv.Itoa(page))
	return baseURL(r) + r.URL.Path + "?" + q.Encode()
}
