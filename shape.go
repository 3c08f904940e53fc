package atlas

import (
	"cmp"
	"errors"
)

// shapeLimits bound what decoding a document may build. Decoding allocates per value, not
// per byte: `{}` is two bytes of body and a whole ExportJob of memory, so a body under the
// byte cap can still cost gigabytes. Every document of the API is shallow and small, so
// these limits refuse only bodies the API never sends.
type shapeLimits struct {
	// maxResults caps each array directly in a page's top-level object, its results and its
	// links (the API's itemsPerPage maximum is 500); zero when the document is not a page.
	maxResults int
	// maxValues caps the values of the whole document; zero means maxValues.
	maxValues int
}

// Limits that hold for every document.
const (
	// maxDepth is how deeply arrays and objects may nest. The deepest the API's documents go
	// is a page of jobs with their components: four levels.
	maxDepth = 32
	// maxValues caps the values of a whole document, array elements and object members
	// alike. Decoding allocates per value, not per byte (an empty object decoded as a member
	// of a map[string]any costs about 230 bytes), so this is what bounds its memory whatever
	// the target: at most about 12 MiB. A page of 500 export jobs with every field set, one
	// component, custom datum and link each, holds 13,006 values (26 a job).
	maxValues = 50_000
	// maxPageValues caps the values of a page the services decode into their own types, where
	// an unknown member costs nothing and the costliest value (an element of a job's arrays)
	// about 190 bytes: 160 a job, so that a page of 500 jobs of a 40-shard cluster (3 values a
	// component) still decodes, at most about 15 MiB.
	maxPageValues = 80_000
	// maxPageResults is the API's largest page.
	maxPageResults = 500
)

// pageShape is the shape limit of a page.
var pageShape = shapeLimits{maxResults: maxPageResults, maxValues: maxPageValues}

// check scans a document's structure without allocating and refuses it when it nests too
// deep, holds too many values (array elements and object members), or is a page with more
// results than the API sends. It does not check that the body is JSON; decoding does, before
// it allocates anything.
func (l shapeLimits) check(b []byte) error {
	var (
		stack   [maxDepth]byte // 'o' object, 'a' array, 'r' an array of the page object
		depth   int
		values  int
		results int  // elements of the page's array being read
		expect  bool // a value may start: an array was just opened, or a comma in one or a colon read
	)
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			expect = true
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
			values++
			if depth > 0 && stack[depth-1] == 'r' {
				results++
			}
			if values > cmp.Or(l.maxValues, maxValues) {
				return errTooManyValues
			}
			if l.maxResults > 0 && results > l.maxResults {
				return errTooMany
			}
		}
		switch c {
		case '"':
			i = stringEnd(b, i)
		case '{', '[':
			if depth == maxDepth {
				return errTooDeep
			}
			kind := byte('o')
			if c == '[' {
				kind = 'a'
				if depth == 1 && stack[0] == 'o' && l.maxResults > 0 {
					// Every array of a page object is held to a page, not only the one under
					// "results": encoding/json matches keys case-insensitively and unescaped,
					// so "RESULTS" or "re\u0073ults" fill Results as "results" does.
					kind, results = 'r', 0
				}
				expect = true
			}
			stack[depth] = kind
			depth++
		}
	}
	return nil
}

// errTooManyValues is a document with more values than maxValues.
var errTooManyValues = errors.New("the document holds more values than the API ever sends")

// stringEnd returns the index of the quote that closes the string opening at b[start], or
// len(b) when it is not closed. It steps over each escape, so an escaped quote is not taken
// for the end.
func stringEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i
		case '\\':
			i++
		}
	}
	return len(b)
}
