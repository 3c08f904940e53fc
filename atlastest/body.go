package atlastest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/internal/pattern"
)

// maxRequestBody caps what the fake reads of a request body.
const maxRequestBody = 1 << 20

// readObject reads a request body that must be one JSON object and returns its attributes
// undecoded. It answers 413 PAYLOAD_TOO_LARGE for a body over maxRequestBody and 400
// MALFORMED_JSON for anything but one object (null, an array, trailing data), and then
// reports false.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		writeAPIError(w, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
			fmt.Sprintf("The request body exceeds %d bytes.", tooLarge.Limit))
		return nil, false
	}
	var raw map[string]json.RawMessage
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		err = dec.Decode(&raw)
		if err == nil && (dec.More() || raw == nil) {
			err = errors.New("not one JSON object")
		}
	}
	if err != nil {
		writeAPIError(w, r, http.StatusBadRequest, "MALFORMED_JSON", "Received JSON is malformed.")
		return nil, false
	}
	return raw, true
}

// fields checks the attributes of a request object against its schema, collecting a
// violation for each problem so that one answer lists them all, as badRequestDetail does.
type fields struct {
	raw    map[string]json.RawMessage
	schema string // the spec's name of the request schema, for messages
	bad    []atlas.FieldViolation
}

// readFields reads a request body that must be one JSON object (see readObject) for checking
// against the request schema named schema.
func readFields(w http.ResponseWriter, r *http.Request, schema string) (*fields, bool) {
	raw, ok := readObject(w, r)
	return &fields{raw: raw, schema: schema}, ok
}

// violate records that field is refused, and why.
func (f *fields) violate(field, description string) {
	f.bad = append(f.bad, atlas.FieldViolation{Field: field, Description: description})
}

// violated reports whether a violation of field is recorded already.
func (f *fields) violated(field string) bool {
	return slices.ContainsFunc(f.bad, func(v atlas.FieldViolation) bool { return v.Field == field })
}

// has reports whether the attribute is present and not null.
func (f *fields) has(name string) bool {
	v, ok := f.raw[name]
	return ok && string(v) != "null"
}

// decode reads attribute name into dst, recording "is required" for a missing one when
// required, and "must be <kind>" for one of another type. It reports whether dst was set.
func (f *fields) decode(name string, required bool, kind string, dst any) bool {
	if !f.has(name) {
		if required {
			f.violate(name, "is required")
		}
		return false
	}
	if json.Unmarshal(f.raw[name], dst) != nil {
		f.violate(name, "must be "+kind)
		return false
	}
	return true
}

// str reads a string attribute.
func (f *fields) str(name string, required bool) string {
	var s string
	f.decode(name, required, "a string", &s)
	return s
}

// id reads a string attribute that must match the spec's 24-hexadecimal-digit pattern.
func (f *fields) id(name string, required bool) string {
	var s string
	if f.decode(name, required, "a string", &s) && !pattern.ObjectID.MatchString(s) {
		f.violate(name, "must match "+pattern.ObjectID.String())
	}
	return s
}

// length reads a string attribute of lo to hi characters.
func (f *fields) length(name string, required bool, lo, hi int) string {
	var s string
	if f.decode(name, required, "a string", &s) && (len([]rune(s)) < lo || len([]rune(s)) > hi) {
		f.violate(name, fmt.Sprintf("must be %d to %d characters long", lo, hi))
	}
	return s
}

// boolean reads a boolean attribute.
func (f *fields) boolean(name string, required bool) bool {
	var b bool
	f.decode(name, required, "true or false", &b)
	return b
}

// only records a violation for every attribute not in allowed, in name order.
func (f *fields) only(allowed ...string) {
	for _, k := range slices.Sorted(maps.Keys(f.raw)) {
		if !slices.Contains(allowed, k) {
			f.violate(k, "is not an attribute of "+f.schema)
		}
	}
}

// refuse answers 400 VALIDATION_ERROR listing every violation, if there are any, and reports
// whether it did.
func (f *fields) refuse(w http.ResponseWriter, r *http.Request) bool {
	if len(f.bad) == 0 {
		return false
	}
	writeAPIError(w, r, http.StatusBadRequest, "VALIDATION_ERROR",
		"The request body is invalid: "+f.bad[0].Field+" "+f.bad[0].Description+".", f.bad...)
	return true
}
