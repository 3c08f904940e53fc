package atlas

import "bytes"

// shapeLimits bound what decoding a document may build. Decoding allocates per value, not
// per byte: `{}` is two bytes of body and a whole ExportJob of memory, so a body under the
// byte cap can still cost gigabytes. Every document of the API is shallow and small, so
// these limits refuse only bodies the API never sends.
type shapeLimits struct {
	// maxResults caps the top-level "results" array of a page (the API's itemsPerPage
	// maximum is 500); zero when the document is not a page.
	maxResults int
}

// Limits that hold for every document.
const (
	// maxDepth is how deeply arrays and objects may nest. The deepest the API's documents go
	// is a page of jobs with their components: four levels.
	maxDepth = 32
	// maxElements caps the array elements of a whole document: 500 results with every array
	// they hold. Each element costs at most a few dozen bytes once decoded.
	maxElements = 100_000
	// maxPageResults is the API's largest page.
	maxPageResults = 500
)

// pageShape is the shape limit of a page.
var pageShape = shapeLimits{maxResults: maxPageResults}

// check scans a document's structure without allocating and refuses it when it nests too
// deep, holds too many array elements, or is a page with more results than the API sends.
// It does not check that the body is JSON; decoding does, before it allocates anything.
func (l shapeLimits) check(b []byte) error {
	_, err := l.scan(b)
	return err
}

// scan is check, and also counts the elements of a page's top-level results array(s), so that
// decoding can size the page's slice once instead of growing it.
func (l shapeLimits) scan(b []byte) (results int, err error) {
	var (
		stack    [maxDepth]byte // 'o' object, 'a' array, 'r' the page's results array
		depth    int
		elements int
		lastKey  []byte // the last string read directly in the top-level object
		expect   bool   // an array was just opened or a comma read: a value may start
	)
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		case ']', '}':
			depth = max(depth-1, 0)
			expect = false
			continue
		case ',':
			expect = depth > 0 && stack[depth-1] != 'o'
			continue
		}
		if expect {
			expect = false
			elements++
			if stack[depth-1] == 'r' {
				results++
			}
			if elements > maxElements || (l.maxResults > 0 && results > l.maxResults) {
				return 0, errTooMany
			}
		}
		switch c {
		case '"':
			end := stringEnd(b, i)
			if depth == 1 && stack[0] == 'o' {
				lastKey = b[i+1 : end]
			}
			i = end
		case '{', '[':
			if depth == maxDepth {
				return 0, errTooDeep
			}
			kind := byte('o')
			if c == '[' {
				kind = 'a'
				if depth == 1 && l.maxResults > 0 && string(lastKey) == "results" {
					kind = 'r'
				}
				expect = true
			}
			stack[depth] = kind
			depth++
		}
	}
	return results, nil
}

// reserveResults sizes the results slice of the page out points to for n results before it is
// decoded, as a page's results are otherwise grown by doubling (ten allocations for 500). Only
// a page with at least one result is reserved, so that a page whose results are absent still
// decodes with nil Results. Other documents are left alone.
func reserveResults(out any, n int) {
	if n <= 0 {
		return
	}
	switch p := out.(type) {
	case **ExportJobPage:
		if *p == nil {
			*p = &ExportJobPage{Results: make([]*ExportJob, 0, n)}
		}
	case **ExportBucketPage:
		if *p == nil {
			*p = &ExportBucketPage{Results: make([]*ExportBucket, 0, n)}
		}
	case **SnapshotPage:
		if *p == nil {
			*p = &SnapshotPage{Results: make([]*Snapshot, 0, n)}
		}
	}
}

// stringEnd returns the index of the quote that closes the string opening at b[start], or
// len(b) when it is not closed.
func stringEnd(b []byte, start int) int {
	i := start + 1
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		backslashes := 0
		for k := i - 1; k > start && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i
		}
		i++
	}
}
