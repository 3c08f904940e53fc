package atlas

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// What the plain reader may build before it gives up. A body it gives up on late is decoded
// again by encoding/json, so what it built is memory spent twice: these caps keep that to
// about 2 MiB, whatever the body. A page as the API sends it, 500 jobs with a few components,
// labels and links each, holds about 3,000 array elements and 200 KiB of strings; a document
// past either cap is not in the plain form, whatever it holds.
const (
	plainElements = 8 << 10 // array elements, below maxElements
	plainText     = 1 << 20 // bytes of strings copied
)

// plainReader reads JSON in the plain form that jobdecode.go describes, from b, in one pass
// and allocating only the values it returns. Each method reports false when what follows is
// not in that form (an escape, a null, a fraction where an integer goes, a key encoding/json
// would fold onto a known one, a cap passed), and the reader is then abandoned: it gives up
// rather than fail, and never says why, since encoding/json decides what the body is.
type plainReader struct {
	b        []byte
	i        int
	depth    int             // arrays and objects open, held to maxDepth as the shape limits hold it
	elements int             // array elements read, held to plainElements
	copied   int             // string bytes copied, held to plainText
	arena    strings.Builder // where the current job's strings are copied
}

// end reports whether only whitespace is left.
func (r *plainReader) end() bool {
	r.space()
	return r.i == len(r.b)
}

// space skips whitespace.
func (r *plainReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips whitespace and then c, reporting whether c was there.
func (r *plainReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, calling member for each key with the reader at the key's value.
func (r *plainReader) object(member func(key []byte) bool) bool {
	if r.depth == maxDepth || !r.next('{') {
		return false
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.next('}') {
		return true
	}
	for {
		key, ok := r.raw()
		if !ok || !r.next(':') || !member(key) {
			return false
		}
		if !r.next(',') {
			return r.next('}')
		}
	}
}

// array reads an array, calling elem for each element; limit caps its length, 0 for no cap
// but plainElements, which holds for all the document's arrays together.
func (r *plainReader) array(limit int, elem func() bool) bool {
	if r.depth == maxDepth || !r.next('[') {
		return false
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.next(']') {
		return true
	}
	for n := 1; ; n++ {
		r.elements++
		if r.elements > plainElements || (limit > 0 && n > limit) || !elem() {
			return false
		}
		if !r.next(',') {
			return r.next(']')
		}
	}
}

// raw reads a string and returns its bytes, between the quotes, still in b. A string with an
// escape, a control character or invalid UTF-8 is not plain.
func (r *plainReader) raw() ([]byte, bool) {
	if !r.next('"') {
		return nil, false
	}
	start, ascii := r.i, true
	for ; r.i < len(r.b); r.i++ {
		switch c := r.b[r.i]; {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// text reads a string into *dst, copied into the job's arena.
func (r *plainReader) text(dst *string) bool {
	s, ok := r.raw()
	if ok {
		*dst, ok = r.copy(s)
	}
	return ok
}

// startArena makes the strings read next share an allocation with none read before: a
// job's strings are kept alive by that job alone.
func (r *plainReader) startArena() { r.arena = strings.Builder{} }

// copy returns s as a string in the arena, or false once the strings copied would pass
// plainText. A strings.Builder never changes the bytes it has handed out, so each string
// taken from it stays as it was while more is written; when the arena is full a new one is
// started rather than grown, so that nothing is copied twice.
func (r *plainReader) copy(s []byte) (string, bool) {
	if r.copied+len(s) > plainText {
		return "", false
	}
	if r.arena.Cap()-r.arena.Len() < len(s) {
		r.arena = strings.Builder{}
		r.arena.Grow(max(len(s), arenaSize))
	}
	r.copied += len(s)
	start := r.arena.Len()
	r.arena.Write(s)
	return r.arena.String()[start:], true
}

// arenaSize is the size of a job's arena: the strings of a job as the API sends it, with
// two components, labels and links, take about 400 bytes.
const arenaSize = 512

// timestamp reads a timestamp with time.Time's own UnmarshalJSON, the method encoding/json calls.
func (r *plainReader) timestamp(dst *time.Time) bool {
	r.space()
	start := r.i
	if _, ok := r.raw(); !ok {
		return false
	}
	return dst.UnmarshalJSON(r.b[start:r.i]) == nil
}

// int32Value and intValue read an integer that fits their type.
func (r *plainReader) int32Value(dst *int32) bool {
	n, ok := r.digits(math.MinInt32, math.MaxInt32)
	*dst = int32(n)
	return ok
}

func (r *plainReader) intValue(dst *int) bool {
	n, ok := r.digits(math.MinInt, math.MaxInt)
	*dst = int(n)
	return ok
}

// digits reads a JSON integer of up to 18 digits, with no fraction or exponent, within
// [lo, hi].
func (r *plainReader) digits(lo, hi int64) (int64, bool) {
	r.space()
	neg := r.i < len(r.b) && r.b[r.i] == '-'
	if neg {
		r.i++
	}
	start := r.i
	var n int64
	for r.i < len(r.b) && isDigit(r.b[r.i]) && r.i-start < 18 {
		n = n*10 + int64(r.b[r.i]-'0')
		r.i++
	}
	switch {
	case r.i == start, r.i-start > 1 && r.b[start] == '0':
		return 0, false
	case r.i < len(r.b) && (isDigit(r.b[r.i]) || r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E'):
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, lo <= n && n <= hi
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// stringPair reads an object of two string members, as a link, a label, a component and a
// state reason are.
func (r *plainReader) stringPair(name0 string, dst0 *string, name1 string, dst1 *string) bool {
	var seen fieldSet
	return r.object(func(key []byte) bool {
		switch string(key) {
		case name0:
			return seen.add(0) && r.text(dst0)
		case name1:
			return seen.add(1) && r.text(dst1)
		}
		return r.unknown(key, name0, name1)
	})
}

// unknown skips the value of a member that no field takes, unless encoding/json could take
// its key for one of names: it matches keys without regard to case, and non-ASCII ones by
// Unicode folding ("ſ" for "s"). A key that differs from a name only in case, '-' or '_' ends
// the plain form, and so does any key that is not ASCII.
func (r *plainReader) unknown(key []byte, names ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, name := range names {
		if looselyEqual(key, name) {
			return false
		}
	}
	return r.skip()
}

// looselyEqual reports whether an ASCII key equals name when case, '-' and '_' are ignored.
func looselyEqual(key []byte, name string) bool {
	j := 0
	for _, c := range key {
		if c == '-' || c == '_' {
			continue
		}
		if j == len(name) || lower(c) != lower(name[j]) {
			return false
		}
		j++
	}
	return j == len(name)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// skip reads any value in the plain form and drops it.
func (r *plainReader) skip() bool {
	r.space()
	if r.i == len(r.b) {
		return false
	}
	switch c := r.b[r.i]; {
	case c == '"':
		_, ok := r.raw()
		return ok
	case c == '{':
		return r.object(func([]byte) bool { return r.skip() })
	case c == '[':
		return r.array(0, r.skip)
	case c == '-' || isDigit(c):
		return r.number()
	}
	return r.literal("true") || r.literal("false") || r.literal("null")
}

// literal reads word, reporting whether it was there.
func (r *plainReader) literal(word string) bool {
	if len(r.b)-r.i < len(word) || string(r.b[r.i:r.i+len(word)]) != word {
		return false
	}
	r.i += len(word)
	return true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *plainReader) number() bool {
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case !r.run():
		return false
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if !r.run() {
			return false
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if !r.run() {
			return false
		}
	}
	return true
}

// run reads one or more digits, reporting whether there was one.
func (r *plainReader) run() bool {
	start := r.i
	for r.i < len(r.b) && isDigit(r.b[r.i]) {
		r.i++
	}
	return r.i > start
}
