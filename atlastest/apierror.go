package atlastest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Media types the fake speaks. Success bodies carry the one resource version the spec declares
// for these operations; error bodies are plain JSON, as the real service sends them.
const (
	mediaTypeVersioned = "application/vnd.atlas.2023-01-01+json"
	mediaTypeJSON      = "application/json"
)

// apiError mirrors the spec's ApiError schema. Field order follows the schema so that bodies
// read naturally when pretty-printed.
type apiError struct {
	BadRequestDetail *badRequestDetail `json:"badRequestDetail,omitempty"`
	Detail           string            `json:"detail,omitempty"`
	Error            int               `json:"error"`
	ErrorCode        string            `json:"errorCode"`
	Reason           string            `json:"reason,omitempty"`
}

// badRequestDetail mirrors the spec's BadRequestDetail: one entry per violated field.
type badRequestDetail struct {
	Fields []fieldViolation `json:"fields"`
}

// fieldViolation mirrors the spec's FieldViolation; both fields are required there.
type fieldViolation struct {
	Description string `json:"description"`
	Field       string `json:"field"`
}

// writeAPIError answers with an ApiError body. reason is the HTTP status text, which is what
// the service puts there ("Not Found", "Too Many Requests").
func writeAPIError(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields ...fieldViolation) {
	body := apiError{
		Detail:    detail,
		Error:     status,
		ErrorCode: code,
		Reason:    http.StatusText(status),
	}
	if len(fields) > 0 {
		body.BadRequestDetail = &badRequestDetail{Fields: fields}
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
