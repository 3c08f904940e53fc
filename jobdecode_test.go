package atlas

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The plain reader must never change what a body decodes to: each test below holds it to
// what decodeJSON gives without it, the shape limits and then encoding/json into a zero value.

// plainResult is a result type with a plain reader.
type plainResult[T any] interface {
	*T
	plainDecoder
}

// referenceDecode decodes body as decodeJSON does without a plain reader.
func referenceDecode[T any](body []byte, shape shapeLimits) (*T, error) {
	if _, err := shape.check(body); err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkPlain reads body with the plain reader and fails unless what it did agrees with the
// reference: when it accepts a body, the reference decodes that body to the same value; when it
// refuses one, its result is still zero. It reports whether the plain reader accepted the body.
func checkPlain[T any, P plainResult[T]](t *testing.T, body []byte, shape shapeLimits) bool {
	t.Helper()
	got := new(T)
	accepted := P(got).decodePlain(body)
	if !accepted {
		if !reflect.DeepEqual(got, new(T)) {
			t.Fatalf("the plain reader refused %q but changed its result: %+v", body, got)
		}
		return false
	}
	want, err := referenceDecode[T](body, shape)
	if err != nil {
		t.Fatalf("the plain reader accepted %q, which encoding/json and the shape limits refuse: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the plain reader read %q as\n%+v\nencoding/json as\n%+v", body, got, want)
	}
	return true
}

// plainJob is a job with every field set, as the API sends one.
const plainJob = `{"id":"6a0b1c2d3e4f5a6b7c8d9e0f","snapshotId":"64b1c2d3e4f5a6b7c8d9e0f1",` +
	`"exportBucketId":"64b1c2d3e4f5a6b7c8d9e0f2","prefix":"/exports/c/2026-01-02T0304Z",` +
	`"state":"Failed","stateReason":{"errorCode":"EXPORT_FAILED","message":"bucket gone"},` +
	`"exportStatus":{"exportedCollections":3,"totalCollections":12},` +
	`"createdAt":"2026-01-02T03:04:05Z","finishedAt":"2026-01-02T04:04:05.123+02:00",` +
	`"components":[{"exportId":"64b1c2d3e4f5a6b7c8d9e0a1","replicaSetName":"rs0"}],` +
	`"customData":[{"key":"team","value":"payments"},{"key":"env","value":"prod"}],` +
	`"links":[{"href":"https://cloud.mongodb.com/api/atlas/v2/groups/x","rel":"self"}]}`

// TestPlainReaderReadsWhatTheAPISends checks that the documents the API sends are read by the
// plain reader, not left to encoding/json, and read to what encoding/json makes of them.
func TestPlainReaderReadsWhatTheAPISends(t *testing.T) {
	jobs := map[string]string{
		"every field":      plainJob,
		"empty":            `{}`,
		"empty arrays":     `{"components":[],"customData":[],"links":[]}`,
		"an unknown state": `{"state":"Paused"}`,
		"unicode":          `{"customData":[{"key":"équipe","value":"日本語 ✓"}]}`,
		"whitespace":       " \n{ \"id\" : \"a\" ,\t\"exportStatus\" : { \"totalCollections\" : -0 } }\r\n",
		"members the SDK does not know": `{"id":"a","deliveryUrl":["s3://b/x"],"size":1.5e3,` +
			`"meta":{"n":[1,-2,0.25,true,false,null,{"k":"v"}],"s":""},"state":"Queued"}`,
		"int32 bounds": `{"exportStatus":{"exportedCollections":-2147483648,"totalCollections":2147483647}}`,
	}
	for name, body := range jobs {
		t.Run("job/"+name, func(t *testing.T) {
			assert.True(t, checkPlain[ExportJob](t, []byte(body), shapeLimits{}), "left to encoding/json")
		})
	}
	indented, err := json.MarshalIndent(json.RawMessage(plainJob), "", "  ")
	require.NoError(t, err)
	pages := map[string][]byte{
		"500 jobs":     benchPage(t),
		"empty":        []byte(`{"results":[],"totalCount":0,"links":[]}`),
		"indented job": []byte(`{"results":[` + string(indented) + `],"totalCount":1}`),
	}
	for name, body := range pages {
		t.Run("page/"+name, func(t *testing.T) {
			assert.True(t, checkPlain[ExportJobPage](t, body, pageShape), "left to encoding/json")
		})
	}
}

// TestPlainReaderLeavesTheRestToEncodingJSON checks that a body in any other form is refused
// by the plain reader and decoded by decodeJSON exactly as before: the same value, or an
// ErrInvalidResponse where the reference fails.
func TestPlainReaderLeavesTheRestToEncodingJSON(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	jobs := map[string]string{
		"an escape in a value":        `{"id":"a\u0062"}`,
		"an escape in a key":          `{"i\u0064":"x"}`,
		"a key in capitals":           `{"ID":"x"}`,
		"a key in mixed case":         `{"snapshotID":"x"}`,
		"a key folded from non-ASCII": `{"ſnapshotId":"x"}`,
		"a key with an underscore":    `{"snapshot_id":"x"}`,
		"a key sent twice":            `{"id":"a","id":"b"}`,
		"a key in two cases":          `{"id":"a","Id":"b"}`,
		"a null string":               `{"id":null}`,
		"a null object":               `{"stateReason":null}`,
		"a null array":                `{"links":null}`,
		"a null array element":        `{"links":[null]}`,
		"a fraction":                  `{"exportStatus":{"totalCollections":1.0}}`,
		"an exponent":                 `{"exportStatus":{"totalCollections":1e2}}`,
		"over int32":                  `{"exportStatus":{"totalCollections":2147483648}}`,
		"a leading zero":              `{"exportStatus":{"totalCollections":012}}`,
		"nineteen digits":             `{"exportStatus":{"totalCollections":1000000000000000000}}`,
		"a string for a number":       `{"exportStatus":{"totalCollections":"1"}}`,
		"a number for a string":       `{"id":5}`,
		"invalid UTF-8":               "{\"id\":\"\xff\"}",
		"a control character":         "{\"id\":\"a\tb\"}",
		"a bad timestamp":             `{"createdAt":"yesterday"}`,
		"a numeric timestamp":         `{"createdAt":1700000000}`,
		"data after the document":     `{"id":"a"} {}`,
		"a document cut short":        `{"id":"a"`,
		"an array":                    `[]`,
		"null":                        `null`,
		"a bad literal":               `{"x":nul}`,
		"a bad number":                `{"x":-}`,
		"a trailing comma":            `{"id":"a",}`,
		"an escape in an unknown":     `{"x":"\n"}`,
		"nesting past the limit":      deep,
		"more elements than a plain job holds": `{"customData":[` +
			strings.TrimSuffix(strings.Repeat(`{"key":"k"},`, plainElements+1), ",") + `]}`,
		"more text than a plain job holds":   `{"prefix":"` + strings.Repeat("p", plainText+1) + `"}`,
		"an unknown state past the text cap": `{"prefix":"` + strings.Repeat("p", plainText-1) + `","state":"Paused"}`,
	}
	for name, body := range jobs {
		t.Run("job/"+name, func(t *testing.T) {
			assert.False(t, checkPlain[ExportJob](t, []byte(body), shapeLimits{}), "read as plain")
			checkDecodeAsReference[ExportJob](t, []byte(body), shapeLimits{})
		})
	}
	many := `{"results":[` + strings.TrimSuffix(strings.Repeat(`{},`, maxPageResults+1), ",") + `]}`
	pages := map[string]string{
		"a null result":            `{"results":[null]}`,
		"null results":             `{"results":null}`,
		"a member of no page":      `{"results":[],"next":"x"}`,
		"more results than a page": many,
		"a page of strings":        `{"results":["a"]}`,
	}
	for name, body := range pages {
		t.Run("page/"+name, func(t *testing.T) {
			assert.False(t, checkPlain[ExportJobPage](t, []byte(body), pageShape), "read as plain")
			checkDecodeAsReference[ExportJobPage](t, []byte(body), pageShape)
		})
	}
}

// checkDecodeAsReference fails unless decodeJSON, plain reader and all, decodes body as the
// reference does.
func checkDecodeAsReference[T any, P plainResult[T]](t *testing.T, body []byte, shape shapeLimits) {
	t.Helper()
	want, wantErr := referenceDecode[T](body, shape)
	got := new(T)
	err := decodeJSON(body, got, decoding{shape: shape, plain: P(got)})
	if wantErr != nil {
		assert.ErrorIs(t, err, ErrInvalidResponse)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func FuzzPlainDecodeMatchesEncodingJSON(f *testing.F) {
	f.Add([]byte(plainJob), false)
	f.Add([]byte(`{"results":[`+plainJob+`],"totalCount":1,"links":[]}`), true)
	f.Add([]byte(`{"x":[1,2.5e-3,{"y":null}],"id":"a"}`), false)
	f.Add([]byte(`{"createdAt":"2026-01-02T24:00:00Z"}`), false)
	f.Add([]byte(`{"finishedAt":"2026-01-02t03:04:05.1z"}`), false)
	f.Fuzz(func(t *testing.T, body []byte, page bool) {
		if page {
			checkPlain[ExportJobPage](t, body, pageShape)
		} else {
			checkPlain[ExportJob](t, body, shapeLimits{})
		}
	})
}
