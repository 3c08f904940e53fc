package atlastest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/atlas-exports/atlas"
)

// mediaTypeJSON is the media type of error bodies (ApiError) and of the OAuth endpoints'
// answers; success bodies carry their operation's resource version (see versions.go).
const mediaTypeJSON = "application/json"

// apiError is the spec's ApiError schema as the fake writes it. It is the fake's own because
// the client's is unexported; its parts are the client's wire types. Field order follows the
// schema so that bodies read naturally when pretty-printed.
type apiError struct {
	BadRequestDetail *atlas.BadRequestDetail `json:"badRequestDetail,omitempty"`
	Detail           string                  `json:"detail,omitempty"`
	Error            int                     `json:"error"`
	ErrorCode        string                  `json:"errorCode"`
	Reason           string                  `json:"reason,omitempty"`
}

// writeAPIError answers with an ApiError body. reason is the HTTP status text, which is what
// the service puts there ("Not Found", "Too Many Requests").
func writeAPIError(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields ...atlas.FieldViolation) {
	body := apiError{
		Detail:    detail,
		Error:     status,
		ErrorCode: code,
		Reason:    http.StatusText(status),
	}
	if len(fields) > 0 {
		body.BadRequestDetail = &atlas.BadRequestDetail{Fields: fields}
	}
	writeBody(w, r, status, mediaTypeJSON, body)
}

// writeBody encodes v as JSON with the given media type, indented when the caller asked for
// pretty=true (the spec's pretty parameter).
func writeBody(w http.ResponseWriter, r *http.Request, status int, mediaType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if wantsPretty(r) {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		// Only programming errors end here: every value the fake sends is encodable.
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// wantsPretty reports whether the query asks for pretty-printed JSON. Like the service, it
// ignores values that are not booleans rather than failing the request over a cosmetic flag.
func wantsPretty(r *http.Request) bool {
	if r == nil {
		return false
	}
	b, err := strconv.ParseBool(r.URL.Query().Get("pretty"))
	return err == nil && b
}
