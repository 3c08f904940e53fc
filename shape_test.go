package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		{"as many elements as allowed", shapeLimits{}, "[" + repeated("1", maxElements) + "]", nil},
		{"one element more", shapeLimits{}, "[" + repeated("1", maxElements+1) + "]", errTooMany},
		{"elements of every array count", shapeLimits{}, "[" + repeated("[1,2]", maxElements/3+1) + "]", errTooMany},
		{"empty arrays hold nothing", shapeLimits{}, "[" + repeated("[ ]", maxElements/2) + "]", nil},
		{"object members are not elements", shapeLimits{}, "{" + repeated(`"a":1`, maxElements+1) + "}", nil},
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
			_, err := tt.shape.check([]byte(tt.doc))
			assert.Equal(t, tt.want, err)
		})
	}
}

// jsonShape measures a valid document with encoding/json's own tokenizer: its depth, its
// array elements, and the longest array directly in a top-level object.
func jsonShape(doc []byte) (depth, elements, topArray int) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		delim json.Delim
		n     int
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		if len(stack) > 0 && stack[len(stack)-1].delim == '[' {
			if d, ok := tok.(json.Delim); !ok || d == '[' || d == '{' {
				stack[len(stack)-1].n++
				elements++
			}
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			stack = append(stack, frame{delim: tok.(json.Delim)})
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
		most, page := pageShape.check(doc) // never panics, whatever the bytes
		if !json.Valid(doc) {
			return
		}
		depth, elements, topArray := jsonShape(doc)
		_, err := shapeLimits{}.check(doc)
		require.Equal(t, depth <= maxDepth && elements <= maxElements, err == nil, "depth %d, %d elements: %v", depth, elements, err)
		if errors.Is(err, errTooDeep) {
			require.Greater(t, depth, maxDepth)
		}
		if errors.Is(err, errTooMany) {
			require.Greater(t, elements, maxElements)
		}
		require.Equal(t, err == nil && topArray <= maxPageResults, page == nil, "longest top-level array %d: %v", topArray, page)
		if page == nil {
			require.Equal(t, topArray, most, "the count that sizes a page's results")
		}
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
		{"components, then a number no job holds", job + `"components":[` + repeated(`{"exportId":"a","replicaSetName":"b"}`, maxElements-1) + `],"exportStatus":{"totalCollections":1.5}}`, getJob},
		{"custom data, then a key sent twice", job + `"customData":[` + repeated(`{"key":"k","value":"v"}`, maxElements-1) + `],"id":"x"}`, getJob},
		{"short strings in a snapshot", `{"id":"` + cannedExportID + `","copyRegions":[` + repeated(`"a"`, n) + `]}`, getSnapshot},
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
