package atlas

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
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

// TestPlainReaderAgreesOnGeneratedDocuments holds the plain reader to the reference on
// documents built near the plain form: the members of a job in any order, each now and then
// sent twice, in other case, unknown, null or of another type, strings with escapes or
// non-ASCII, numbers in every form, whitespace anywhere. A fuzzer rarely builds such
// documents from bytes; this builds 20,000 from a fixed seed, and checks that a good share of
// them are read as plain, so that agreement is tested both ways.
func TestPlainReaderAgreesOnGeneratedDocuments(t *testing.T) {
	g := &docGen{r: rand.New(rand.NewPCG(13, 2026))}
	accepted := map[bool]int{}
	for range 10_000 {
		g.odd = g.r.IntN(2) == 0 // half of the documents are built with no oddity at all
		job := g.job()
		accepted[checkPlain[ExportJob](t, []byte(job), shapeLimits{})]++
		page := g.page()
		accepted[checkPlain[ExportJobPage](t, []byte(page), pageShape)]++
	}
	t.Logf("read as plain: %d, left to encoding/json: %d", accepted[true], accepted[false])
	assert.Greater(t, accepted[true], 4_000)
	assert.Greater(t, accepted[false], 4_000)
}

// docGen builds JSON documents near the plain form.
type docGen struct {
	r   *rand.Rand
	odd bool // whether a value may be built in a form other than the plain one
}

// one picks one of choices.
func (g *docGen) one(choices ...string) string { return choices[g.r.IntN(len(choices))] }

// rarely reports true about once in n calls, while odd forms are allowed.
func (g *docGen) rarely(n int) bool { return g.odd && g.r.IntN(n) == 0 }

// ws is whitespace, usually none.
func (g *docGen) ws() string {
	if g.r.IntN(8) == 0 {
		return g.one(" ", "\n", "\t", "\r\n  ")
	}
	return ""
}

// key is name as sent: usually as spelt, now and then in another form.
func (g *docGen) key(name string) string {
	if g.rarely(40) {
		name = g.one(strings.ToUpper(name), strings.ToUpper(name[:1])+name[1:], name+"_", "x"+name,
			strings.Replace(name, "s", "ſ", 1), strings.Replace(name, "k", "K", 1), `\u0069`+name[1:])
	}
	return `"` + name + `"`
}

func (g *docGen) str() string {
	if g.rarely(25) {
		return g.one(`"a\"b"`, `"\u00e9"`, `"\ud83d\ude00"`, "\"\xff\"", "\"a\x01\"", `"é日本"`, `null`, `5`, `"`, `""`, `[]`, `{}`)
	}
	return `"` + g.one("6a0b1c2d3e4f5a6b7c8d9e0f", "rs0", "/exports/c/x", "team", "https://x/y", "") + `"`
}

func (g *docGen) num() string {
	if g.rarely(8) {
		return g.one("-0", "0", "2147483647", "2147483648", "-2147483649", "1.0", "1e2", "01", "-", "1.", ".5",
			"999999999999999999", "1000000000000000000", "-9223372036854775808", "9223372036854775808", `"1"`, "null", "true", "1E+2")
	}
	return strconv.Itoa(g.r.IntN(100))
}

func (g *docGen) timestamp() string {
	if g.rarely(6) {
		return `"` + g.one("2026-01-02T24:00:00Z", "2026-01-02T23:59:60Z", "2026-01-02t03:04:05z", "2026-02-30T00:00:00Z",
			"2026-01-02T03:04:05,5Z", "2026-01-02T03:04:05+24:00", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05",
			"0000-01-01T00:00:00Z", "2026-01-02T03:04:05.123456789123-07:30") + `"`
	}
	if g.rarely(30) {
		return g.one("null", "0", `""`)
	}
	return `"2026-01-02T03:04:05` + g.one("Z", ".5Z", "+02:00", "-00:00") + `"`
}

// object builds an object of members from makers, in any order, with an unknown member now
// and then.
func (g *docGen) object(makers map[string]func() string) string {
	var members []string
	for _, name := range slices.Sorted(maps.Keys(makers)) { // a map's order would change the documents
		value := makers[name]
		times := 1 // absent now and then; sent twice only while odd forms are allowed
		if g.r.IntN(8) == 0 {
			times = 0
		} else if g.rarely(8) {
			times = 2
		}
		for range times {
			members = append(members, g.ws()+g.key(name)+g.ws()+":"+g.ws()+value()+g.ws())
		}
	}
	if g.rarely(6) {
		members = append(members, `"x":`+g.any(0))
	}
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + strings.Join(members, ",") + "}"
}

// any is any JSON value, within depth.
func (g *docGen) any(depth int) string {
	switch n := g.r.IntN(6); {
	case n == 0 && depth < 3:
		return "[" + g.any(depth+1) + "," + g.any(depth+1) + "]"
	case n == 1 && depth < 3:
		return `{"k":` + g.any(depth+1) + "}"
	case n == 2:
		return g.num()
	case n == 3:
		return g.one("true", "false", "null", "tru", "nul")
	}
	return g.str()
}

func (g *docGen) list(elem func() string) string {
	if g.rarely(20) {
		return g.one("null", "[null]", `{}`, `[[]]`)
	}
	items := make([]string, g.r.IntN(3))
	for i := range items {
		items[i] = g.ws() + elem() + g.ws()
	}
	return "[" + strings.Join(items, ",") + "]"
}

func (g *docGen) pair(a, b string) func() string {
	return func() string { return g.object(map[string]func() string{a: g.str, b: g.str}) }
}

func (g *docGen) job() string {
	return g.object(map[string]func() string{
		"id": g.str, "snapshotId": g.str, "exportBucketId": g.str, "prefix": g.str,
		"state":       func() string { return g.one(`"Queued"`, `"Successful"`, `"Paused"`, `"successful"`) },
		"stateReason": func() string { return g.pair("errorCode", "message")() },
		"exportStatus": func() string {
			return g.object(map[string]func() string{"exportedCollections": g.num, "totalCollections": g.num})
		},
		"createdAt": g.timestamp, "finishedAt": g.timestamp,
		"components": func() string { return g.list(g.pair("exportId", "replicaSetName")) },
		"customData": func() string { return g.list(g.pair("key", "value")) },
		"links":      func() string { return g.list(g.pair("href", "rel")) },
	}) + g.trailer()
}

func (g *docGen) page() string {
	return g.object(map[string]func() string{
		"results":    func() string { return g.list(g.job) },
		"totalCount": g.num,
		"links":      func() string { return g.list(g.pair("href", "rel")) },
	}) + g.trailer()
}

// trailer is what follows a document: whitespace, or now and then more.
func (g *docGen) trailer() string {
	if g.rarely(4) {
		return g.one(" {}", "x", "]", `""`)
	}
	return g.ws()
}
