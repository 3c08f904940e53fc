package atlastest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// conformingTransport checks every response the fake sends against the spec: the media type,
// then the body, decoded strictly (unknown fields fail) into structs that mirror the schemas,
// then required fields, patterns, enums and formats. Every test's client goes through it, so
// the whole suite is the evidence that the fake's bodies conform.
type conformingTransport struct {
	t    *testing.T
	base http.RoundTripper
}

// rawBodyHeader marks a fault answer whose body the test made up, so it is not checked.
const rawBodyHeader = "X-Test-Raw-Body"

func (c *conformingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Header.Get(rawBodyHeader) == "" {
		if err := checkResponse(req, resp, body); err != "" {
			c.t.Errorf("%s %s answered %d: %s\n%s", req.Method, req.URL, resp.StatusCode, err, body)
		}
	}
	return resp, nil
}

var (
	hex24       = regexp.MustCompile(`^([a-f0-9]{24})$`)
	listPath    = regexp.MustCompile(`^/api/atlas/v2/groups/[^/]+/clusters/[^/]+/backup/exports$`)
	oauthPath   = regexp.MustCompile(`^/api/oauth/(token|revoke)$`)
	jobStates   = []string{"Cancelled", "Failed", "InProgress", "Queued", "Successful"}
	prefixShape = regexp.MustCompile(`^/exported_snapshots/[^/]+/[^/]+/[^/]+/[^/]+/[0-9]+$`)
)

// checkResponse returns what is wrong with one response, or "".
func checkResponse(req *http.Request, resp *http.Response, body []byte) string {
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return h + " is not an integer"
			}
		}
	}
	ct := resp.Header.Get("Content-Type")
	if oauthPath.MatchString(req.URL.Path) && resp.StatusCode != http.StatusMethodNotAllowed {
		switch {
		case req.URL.Path == "/api/oauth/revoke" && resp.StatusCode == http.StatusOK:
			if len(body) != 0 {
				return "revocation answered with a body"
			}
			return ""
		case ct != "application/json":
			return "OAuth answer is " + ct
		case resp.StatusCode == http.StatusOK:
			var tok struct {
				AccessToken *string `json:"access_token"`
				TokenType   *string `json:"token_type"`
				ExpiresIn   *int    `json:"expires_in"`
			}
			if err := strictDecode(body, &tok); err != nil {
				return err.Error()
			}
			if tok.AccessToken == nil || tok.TokenType == nil || *tok.TokenType != "Bearer" || tok.ExpiresIn == nil {
				return "token answer lacks access_token, token_type Bearer or expires_in"
			}
			return ""
		case resp.StatusCode == http.StatusTooManyRequests:
			return checkAPIError(resp.StatusCode, body)
		default:
			var e struct {
				Error            *string `json:"error"`
				ErrorDescription string  `json:"error_description"`
			}
			if err := strictDecode(body, &e); err != nil {
				return err.Error()
			}
			if e.Error == nil || *e.Error == "" {
				return "OAuth error lacks error"
			}
			return ""
		}
	}
	if resp.StatusCode >= 300 {
		if ct != "application/json" {
			return "error body is " + ct
		}
		return checkAPIError(resp.StatusCode, body)
	}
	if ct != "application/vnd.atlas.2023-01-01+json" {
		return "success body is " + ct
	}
	if req.Method == http.MethodGet && listPath.MatchString(req.URL.Path) {
		return checkPage(body)
	}
	var j schemaJob
	if err := strictDecode(body, &j); err != nil {
		return err.Error()
	}
	return j.check()
}

// strictDecode decodes one JSON document, refusing fields the target does not declare.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// The schemas, field for field. Pointers tell absent from zero; int32 makes decoding fail on
// values outside the declared format.
type schemaLink struct {
	Href *string `json:"href"`
	Rel  *string `json:"rel"`
}

type schemaMember struct {
	ExportID       *string `json:"exportId"`
	ReplicaSetName *string `json:"replicaSetName"`
}

type schemaLabel struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type schemaExportStatus struct {
	ExportedCollections *int32 `json:"exportedCollections"`
	TotalCollections    *int32 `json:"totalCollections"`
}

type schemaStateReason struct {
	ErrorCode *string `json:"errorCode"`
	Message   *string `json:"message"`
}

type schemaJob struct {
	Components     []schemaMember      `json:"components"`
	CreatedAt      *string             `json:"createdAt"`
	CustomData     []schemaLabel       `json:"customData"`
	ExportBucketID *string             `json:"exportBucketId"`
	ExportStatus   *schemaExportStatus `json:"exportStatus"`
	FinishedAt     *string             `json:"finishedAt"`
	ID             *string             `json:"id"`
	Links          []schemaLink        `json:"links"`
	Prefix         *string             `json:"prefix"`
	SnapshotID     *string             `json:"snapshotId"`
	State          *string             `json:"state"`
	StateReason    *schemaStateReason  `json:"stateReason"`
}

type schemaPage struct {
	Links      []schemaLink `json:"links"`
	Results    []schemaJob  `json:"results"`
	TotalCount *int32       `json:"totalCount"`
}

type schemaAPIError struct {
	BadRequestDetail *struct {
		Fields []struct {
			Description *string `json:"description"`
			Field       *string `json:"field"`
		} `json:"fields"`
	} `json:"badRequestDetail"`
	Detail     *string          `json:"detail"`
	Error      *int32           `json:"error"`
	ErrorCode  *string          `json:"errorCode"`
	Parameters []map[string]any `json:"parameters"`
	Reason     *string          `json:"reason"`
}

func (j *schemaJob) check() string {
	switch {
	case j.ExportBucketID == nil:
		return "job lacks the required exportBucketId"
	case !hex24.MatchString(*j.ExportBucketID):
		return "exportBucketId breaks its pattern"
	case j.ID != nil && !hex24.MatchString(*j.ID):
		return "id breaks its pattern"
	case j.SnapshotID != nil && !hex24.MatchString(*j.SnapshotID):
		return "snapshotId breaks its pattern"
	case j.State != nil && !slices.Contains(jobStates, *j.State):
		return "state " + *j.State + " is not in the enum"
	case j.Prefix != nil && !prefixShape.MatchString(*j.Prefix):
		return "prefix does not follow the template"
	}
	for _, ts := range []*string{j.CreatedAt, j.FinishedAt} {
		if ts != nil {
			if _, err := time.Parse(time.RFC3339, *ts); err != nil {
				return "timestamp is not date-time: " + *ts
			}
			if !strings.HasSuffix(*ts, "Z") {
				return "timestamp is not UTC: " + *ts
			}
		}
	}
	for _, m := range j.Components {
		if m.ExportID != nil && !hex24.MatchString(*m.ExportID) {
			return "components.exportId breaks its pattern"
		}
	}
	if s := j.ExportStatus; s != nil && (s.ExportedCollections == nil || s.TotalCollections == nil) {
		return "exportStatus lacks a count"
	}
	return checkLinks(j.Links)
}

func checkPage(body []byte) string {
	var p schemaPage
	if err := strictDecode(body, &p); err != nil {
		return err.Error()
	}
	if p.Results == nil {
		return "page lacks results"
	}
	if p.TotalCount != nil && *p.TotalCount < 0 {
		return "totalCount is negative"
	}
	for i := range p.Results {
		if msg := p.Results[i].check(); msg != "" {
			return "results[" + strconv.Itoa(i) + "]: " + msg
		}
	}
	return checkLinks(p.Links)
}

func checkLinks(links []schemaLink) string {
	for _, l := range links {
		if l.Href == nil || l.Rel == nil || !strings.HasPrefix(*l.Href, "http") {
			return "link lacks href or rel"
		}
	}
	return ""
}

func checkAPIError(status int, body []byte) string {
	var e schemaAPIError
	if err := strictDecode(body, &e); err != nil {
		return err.Error()
	}
	switch {
	case e.Error == nil || e.ErrorCode == nil:
		return "ApiError lacks the required error or errorCode"
	case int(*e.Error) != status:
		return "ApiError.error differs from the status"
	}
	if d := e.BadRequestDetail; d != nil {
		for _, f := range d.Fields {
			if f.Description == nil || f.Field == nil {
				return "FieldViolation lacks description or field"
			}
		}
	}
	return ""
}
