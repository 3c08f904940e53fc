package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repeated is n copies of item joined by commas.
func repeated(item string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

// nested is a value n arrays deep.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestShapeLimits(t *testing.T) {
	tests := []struct {
		name  string
		shape shapeLimits
		doc   string
		want  error
	}{
		{"flat", shapeLimits{}, `{"id":"x","n":1,"b":true,"z":null}`, nil},
		{"as deep as allowed", shapeLimits{}, nested(maxDepth), nil},
		{"one level deeper", shapeLimits{}, nested(maxDepth + 1), errTooDeep},
		{"objects too deep", shapeLimits{}, strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), errTooDeep},
		{"deep after shallow siblings", shapeLimits{}, `[` + repeated(nested(maxDepth-1), 50) + `,` + nested(maxDepth) + `]`, errTooDeep},
		{"brackets in strings", shapeLimits{}, `["` + strings.Repeat("[{", 100) + `"]`, nil},
		{"escaped quotes in strings", shapeLimits{}, `["\"` + strings.Repeat("[", 100) + `\\", "\\\"]"]`, nil},
		{"as many elements as allowed", shapeLimits{}, "[" + repeated("1", maxValues) + "]", nil},
		{"one element more", shapeLimits{}, "[" + repeated("1", maxValues+1) + "]", errTooManyValues},
		{"elements of every array count", shapeLimits{}, "[" + repeated("[1,2]", maxValues/3+1) + "]", errTooManyValues},
		{"empty arrays hold nothing", shapeLimits{}, "[" + repeated("[ ]", maxValues/2) + "]", nil},
		{"as many members as allowed", shapeLimits{}, "{" + repeated(`"a" : 1`, maxValues) + "}", nil},
		{"one member more", shapeLimits{}, "{" + repeated(`"a":1`, maxValues+1) + "}", errTooManyValues},
		{"members of empty objects", shapeLimits{}, "{" + repeated(`"k":{}`, maxValues+1) + "}", errTooManyValues},
		{"members and elements count alike", shapeLimits{}, `{"a":[` + repeated(`{"b":1}`, maxValues/2) + `]}`, errTooManyValues},
		{"keys are not values", shapeLimits{}, "[" + repeated(`{"a":1,"b":2}`, maxValues/3) + "]", nil},
		{"a full page", pageShape, `{"results":[` + repeated("{}", maxPageResults) + `],"totalCount":1}`, nil},
		{"a page too long", pageShape, `{"results":[` + repeated("{}", maxPageResults+1) + `]}`, errTooMany},
		// encoding/json matches keys case-insensitively and unescapes them: any array of the
		// page object holds at most a page.
		{"a page too long, key in capitals", pageShape, `{"RESULTS":[` + repeated("{}", maxPageResults+1) + `]}`, errTooMany},
		{"a page too long, key escaped", pageShape, `{"re\u0073ults":[` + repeated("{}", maxPageResults+1) + `]}`, errTooMany},
		{"two full result arrays", pageShape, `{"results":[` + repeated("1", maxPageResults) + `],"results":[` + repeated("1", maxPageResults) + `]}`, nil},
		{"deeper arrays are not results", pageShape, `{"results":[{"links":[` + repeated("{}", maxPageResults+1) + `]}]}`, nil},
		{"not a page", shapeLimits{}, `{"results":[` + repeated("{}", maxPageResults+1) + `]}`, nil},
		// Not JSON: the scanner does not judge, decoding does.
		{"unbalanced", shapeLimits{}, `]]]}}}[`, nil},
		{"unterminated string", shapeLimits{}, `["[[[[`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.shape.check([]byte(tt.doc))
			assert.Equal(t, tt.want, err)
		})
	}
}

// jsonShape measures a valid document with encoding/json's own tokenizer: its depth, its
// values (array elements and object members), and the longest array directly in a top-level
// object.
func jsonShape(doc []byte) (depth, values, topArray int) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		delim json.Delim
		n     int  // elements of an array
		key   bool // an object's next token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		if d, ok := tok.(json.Delim); len(stack) > 0 && (!ok || d == '[' || d == '{') {
			switch top := &stack[len(stack)-1]; {
			case top.delim == '[':
				top.n++
				values++
			case top.key:
				top.key = false
			default:
				top.key = true
				values++
			}
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			stack = append(stack, frame{delim: tok.(json.Delim), key: tok == json.Delim('{')})
			depth = max(depth, len(stack))
		case json.Delim(']'), json.Delim('}'):
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if top.delim == '[' && len(stack) == 1 && stack[0].delim == '{' {
				topArray = max(topArray, top.n)
			}
		}
	}
}

func FuzzShapeCheck(f *testing.F) {
	for _, seed := range []string{`{}`, nested(maxDepth + 1), `{"results":[{},{}],"links":[]}`, `["\\\"[", "]"]`, `{"a":[[1,2],[3]]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		page := pageShape.check(doc) // never panics, whatever the bytes
		if !json.Valid(doc) {
			return
		}
		depth, values, topArray := jsonShape(doc)
		err := shapeLimits{}.check(doc)
		require.Equal(t, depth <= maxDepth && values <= maxValues, err == nil, "depth %d, %d values: %v", depth, values, err)
		if errors.Is(err, errTooDeep) {
			require.Greater(t, depth, maxDepth)
		}
		if errors.Is(err, errTooManyValues) {
			require.Greater(t, values, maxValues)
		}
		require.Equal(t, err == nil && topArray <= maxPageResults, page == nil, "longest top-level array %d: %v", topArray, page)
	})
}

// hostile is a body under the byte cap shaped to cost far more memory decoded than its size.
type hostile struct {
	name string
	body string
	call func(c *Client) (bool, error)
}

func getJob(c *Client) (bool, error) {
	job, err := c.Exports.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
	return job != nil, err
}

func listJobs(c *Client) (bool, error) {
	page, err := c.Exports.List(context.Background(), cannedGroupID, cannedCluster, nil)
	return page != nil, err
}

// doUntyped and doAny are Client.Do into the untyped targets a caller of an operation the
// services do not cover would use.
func doUntyped(c *Client) (bool, error) {
	var out map[string]any
	err := c.Do(context.Background(), &Request{Method: "GET", Path: "/api/atlas/v2", Version: "2023-01-01"}, &out)
	return out != nil, err
}

func doAny(c *Client) (bool, error) {
	var out any
	err := c.Do(context.Background(), &Request{Method: "GET", Path: "/api/atlas/v2", Version: "2023-01-01"}, &out)
	return out != nil, err
}

// members is an object of n members named k0, k1, ..., each holding value.
func members(n int, value string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":` + value)
	}
	return b.String() + "}"
}

func listSnapshots(c *Client) (bool, error) {
	page, err := c.Snapshots.List(context.Background(), cannedGroupID, cannedCluster, nil)
	return page != nil, err
}

func getSnapshot(c *Client) (bool, error) {
	snap, err := c.Snapshots.Get(context.Background(), cannedGroupID, cannedCluster, cannedExportID)
	return snap != nil, err
}

// TestHostileShapesAreRefusedWithBoundedMemory sends bodies of 1 to 2 MiB that would decode
// into up to hundreds of MiB, and checks that each is refused as ErrInvalidResponse having allocated at
// most twice the body plus 16 MiB.
func TestHostileShapesAreRefusedWithBoundedMemory(t *testing.T) {
	const n = 1 << 19 // elements of 2 to 4 bytes: bodies of 1 to 2 MiB
	job := `{"id":"` + cannedExportID + `",`
	for _, tt := range []hostile{
		{"a page of empty results", `{"results":[` + repeated("{}", n) + `]}`, listJobs},
		{"a page of 501 results", `{"results":[` + repeated("{}", maxPageResults+1) + `]}`, listJobs},
		{"a page in capitals", `{"RESULTS":[` + repeated("{}", n/4) + `]}`, listJobs},
		{"a page with endless links", `{"results":[],"links":[` + repeated("{}", n) + `]}`, listJobs},
		{"a job with endless links", job + `"links":[` + repeated("{}", n) + `]}`, getJob},
		{"a job with endless custom data", job + `"customData":[` + repeated("{}", n) + `]}`, getJob},
		{"a job with endless components", job + `"components":[` + repeated("{}", n) + `]}`, getJob},
		{"deep nesting in an unknown field", job + `"x":` + nested(1000) + `}`, getJob},
		{"short strings in an unknown field", job + `"x":[` + repeated(`"a"`, n) + `]}`, getJob},
		{"components, then a number no job holds", job + `"components":[` + repeated(`{"exportId":"a","replicaSetName":"b"}`, (maxValues-20)/3) + `],"exportStatus":{"totalCollections":1.5}}`, getJob},
		{"custom data, then a key sent twice", job + `"customData":[` + repeated(`{"key":"k","value":"v"}`, (maxValues-20)/3) + `],"id":"x"}`, getJob},
		{"short strings in a snapshot", `{"id":"` + cannedExportID + `","copyRegions":[` + repeated(`"a"`, n) + `]}`, getSnapshot},
		// An object of empty objects costs a map each; typed or untyped, every member counts.
		{"8 MiB of empty objects, untyped", members(8<<20/13, "{}"), doUntyped},
		{"8 MiB of empty objects, any", members(8<<20/13, "{}"), doAny},
		{"30 MiB of empty objects, untyped", members(30<<20/13, "{}"), doUntyped},
		{"30 MiB of empty objects, any", members(30<<20/13, "{}"), doAny},
		{"members of a snapshot's unknown field", `{"id":"` + cannedExportID + `","x":` + members(n/4, "{}") + `}`, getSnapshot},
		{"one member too many", members(maxValues+1, "{}"), doUntyped},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Less(t, len(tt.body), MaxResponseBytes)
			c := cannedClient(t, cannedTransport{status: 200, body: []byte(tt.body)})
			var got bool
			var err error
			alloc := allocatedBy(func() { got, err = tt.call(c) })
			assert.False(t, got)
			require.ErrorIs(t, err, ErrInvalidResponse)
			bound := 2*uint64(len(tt.body)) + 16<<20
			t.Logf("a %.1f MiB body: allocated %.1f MiB, bound %.1f MiB", float64(len(tt.body))/(1<<20), float64(alloc)/(1<<20), float64(bound)/(1<<20))
			assert.LessOrEqual(t, alloc, bound)
		})
	}
}

// decodesWithinTheBound requires tt's body to decode, having allocated no more than twice the
// body plus 16 MiB.
func decodesWithinTheBound(t *testing.T, tt hostile) {
	c := cannedClient(t, cannedTransport{status: 200, body: []byte(tt.body)})
	var got bool
	var err error
	alloc := allocatedBy(func() { got, err = tt.call(c) })
	require.NoError(t, err)
	assert.True(t, got)
	bound := 2*uint64(len(tt.body)) + 16<<20
	t.Logf("a %.1f MiB body: allocated %.1f MiB, bound %.1f MiB", float64(len(tt.body))/(1<<20), float64(alloc)/(1<<20), float64(bound)/(1<<20))
	assert.LessOrEqual(t, alloc, bound)
}

// TestTheLargestAcceptedShapesKeepToTheBound decodes, untyped, the costliest documents the
// shape check lets through: as many values as it allows, in the forms that cost most.
func TestTheLargestAcceptedShapesKeepToTheBound(t *testing.T) {
	for _, tt := range []hostile{
		{"members holding empty objects", members(maxValues, "{}"), doUntyped},
		{"members holding empty arrays", members(maxValues, "[]"), doAny},
		{"members holding empty strings", members(maxValues, `""`), doUntyped},
		{"an array of empty objects", "[" + repeated("{}", maxValues) + "]", doAny},
		{"objects of one member", "[" + repeated(`{"a":{}}`, maxValues/2) + "]", doAny},
	} {
		t.Run(tt.name, func(t *testing.T) { decodesWithinTheBound(t, tt) })
	}
}

// A page the services decode into their own types may hold more values than an untyped
// document: each costs a few dozen bytes, and unknown members nothing. The costliest typed
// pages the allowance lets through keep to the same bound.
func TestTheLargestAcceptedTypedPagesKeepToTheBound(t *testing.T) {
	n := maxPageValues - 10
	for _, tt := range []hostile{
		{"one job of empty components", `{"results":[{"id":"x","components":[` + repeated("{}", n) + `]}]}`, listJobs},
		{"one job of empty labels", `{"results":[{"id":"x","customData":[` + repeated("{}", n) + `]}]}`, listJobs},
		{"unknown members", `{"results":[{"id":"x","x":` + members(n, "{}") + `}]}`, listJobs},
		{"short strings in a snapshot", `{"results":[{"id":"x","copyRegions":[` + repeated(`"a"`, n) + `]}]}`, listSnapshots},
	} {
		t.Run(tt.name, func(t *testing.T) { decodesWithinTheBound(t, tt) })
	}
	// A page of 500 jobs of a 40-shard cluster decodes; one value more than the allowance does not.
	job := `{"id":"x","components":[` + repeated(`{"exportId":"e","replicaSetName":"r"}`, 40) + `]}`
	c := cannedClient(t, cannedTransport{status: 200, body: []byte(`{"results":[` + repeated(job, maxPageResults) + `]}`)})
	page, err := c.Exports.List(context.Background(), cannedGroupID, cannedCluster, nil)
	require.NoError(t, err)
	assert.Len(t, page.Results, maxPageResults)
	c = cannedClient(t, cannedTransport{status: 200, body: []byte(`{"results":[{"id":"x","x":[` + repeated("1", maxPageValues) + `]}]}`)})
	_, err = c.Exports.List(context.Background(), cannedGroupID, cannedCluster, nil)
	require.ErrorIs(t, err, ErrInvalidResponse)
}

func TestAFullPageDecodes(t *testing.T) {
	job := `{"id":"%024x","snapshotId":"32b6e34b3d91647abb20e7b8","exportBucketId":"7c8d9e0f6a0b1c2d3e4f5a6b",
		"state":"Successful","createdAt":"2025-01-02T03:04:05Z","exportStatus":{"exportedCollections":3,"totalCollections":3},
		"components":[{"exportId":"0a0b1c2d3e4f5a6b7c8d9e0f","replicaSetName":"shard-0"}],
		"customData":[{"key":"team","value":"storage"}],"links":[{"href":"https://cloud.mongodb.com/api/atlas","rel":"self"}]}`
	jobs := make([]string, maxPageResults)
	for i := range jobs {
		jobs[i] = fmt.Sprintf(job, i)
	}
	body := `{"results":[` + strings.Join(jobs, ",") + `],"totalCount":1234,"links":[{"href":"https://x/2","rel":"next"}]}`
	c := cannedClient(t, cannedTransport{status: 200, body: []byte(body)})
	page, err := c.Exports.List(context.Background(), cannedGroupID, cannedCluster, &ListOptions{ItemsPerPage: maxPageResults})
	require.NoError(t, err)
	require.Len(t, page.Results, maxPageResults)
	assert.Equal(t, fmt.Sprintf("%024x", maxPageResults-1), page.Results[maxPageResults-1].ID)
	assert.Equal(t, 1234, page.TotalCount)

	snaps := `{"results":[` + repeated(`{"id":"32b6e34b3d91647abb20e7b8","status":"completed"}`, maxPageResults) + `]}`
	c = cannedClient(t, cannedTransport{status: 200, body: []byte(snaps)})
	sp, err := c.Snapshots.List(context.Background(), cannedGroupID, cannedCluster, nil)
	require.NoError(t, err)
	assert.Len(t, sp.Results, maxPageResults)

	c = cannedClient(t, cannedTransport{status: 200, body: []byte(`{"results":[` + repeated(`{"_id":"32b6e34b3d91647abb20e7b8"}`, maxPageResults+1) + `]}`)})
	bp, err := c.ExportBuckets.List(context.Background(), cannedGroupID, nil)
	assert.Nil(t, bp)
	require.ErrorIs(t, err, ErrInvalidResponse, "a page of buckets holds at most 500 too")
}
