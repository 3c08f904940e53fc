package atlas

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The documents a client reads most, an export job and a page of them, are read here without
// reflection when they come in their plain form: every key once and spelt as the API spells
// it, no escapes in strings, no nulls, integers where integers go. That is the form the API
// sends. Anything else is left to encoding/json, whole: the plain reader gives up, having
// changed nothing, and decodeJSON decodes the body as it would without it. So what a client
// accepts, and what a body decodes to, stay encoding/json's: the plain reader accepts only
// documents that encoding/json decodes to the same value and the shape limits allow
// (FuzzPlainDecodeMatchesEncodingJSON checks both).
//
// A job's strings are copied out of the body into one allocation of their own, so a job
// kept keeps its own strings alive and nothing else, and nothing aliases a pooled buffer.

// plainDecoder is a result type with a reader for its plain form.
type plainDecoder interface {
	// decodePlain decodes b into the receiver, which must be zero, and reports whether it
	// could. When it could not, the receiver is still zero.
	decodePlain(b []byte) bool
}

// decodePlain reads an export job in its plain form.
func (j *ExportJob) decodePlain(b []byte) bool {
	r := plainReader{b: b}
	var job ExportJob
	if !job.readFrom(&r) || !r.end() {
		return false
	}
	*j = job
	return true
}

// decodePlain reads a page of export jobs in its plain form; pages of other items have none.
func (p *Page[T]) decodePlain(b []byte) bool {
	jobs, ok := any(p).(*ExportJobPage)
	if !ok {
		return false
	}
	r := plainReader{b: b}
	var page ExportJobPage
	if !readJobPage(&r, &page) || !r.end() {
		return false
	}
	*jobs = page
	return true
}

// readJobPage reads a page object. Each of its arrays is held to a page, as the shape limits
// hold it, and a member it does not know ends the plain form: a page has no others.
func readJobPage(r *plainReader, p *ExportJobPage) bool {
	var seen fieldSet
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "results":
			return seen.add(0) && readList(r, maxPageResults, &p.Results, readJobPointer)
		case "totalCount":
			return seen.add(1) && r.intValue(&p.TotalCount)
		case "links":
			r.startArena()
			return seen.add(2) && readList(r, maxPageResults, &p.Links, (*Link).readFrom)
		}
		return false
	})
}

// readJobPointer reads one job of a page's results.
func readJobPointer(j **ExportJob, r *plainReader) bool {
	*j = new(ExportJob)
	return (*j).readFrom(r)
}

// readFrom reads a job object, its strings into an arena of their own.
func (j *ExportJob) readFrom(r *plainReader) bool {
	r.startArena()
	var seen fieldSet
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return seen.add(0) && r.text(&j.ID)
		case "snapshotId":
			return seen.add(1) && r.text(&j.SnapshotID)
		case "exportBucketId":
			return seen.add(2) && r.text(&j.ExportBucketID)
		case "prefix":
			return seen.add(3) && r.text(&j.Prefix)
		case "state":
			return seen.add(4) && r.state(&j.State)
		case "stateReason":
			j.StateReason = new(StateReason)
			return seen.add(5) && j.StateReason.readFrom(r)
		case "exportStatus":
			j.ExportStatus = new(ExportStatus)
			return seen.add(6) && j.ExportStatus.readFrom(r)
		case "createdAt":
			return seen.add(7) && r.timestamp(&j.CreatedAt)
		case "finishedAt":
			return seen.add(8) && r.timestamp(&j.FinishedAt)
		case "components":
			return seen.add(9) && readList(r, 0, &j.Components, (*ExportComponent).readFrom)
		case "customData":
			return seen.add(10) && readList(r, 0, &j.CustomData, (*Label).readFrom)
		case "links":
			return seen.add(11) && readList(r, 0, &j.Links, (*Link).readFrom)
		}
		return r.unknown(key, "id", "snapshotId", "exportBucketId", "prefix", "state", "stateReason",
			"exportStatus", "createdAt", "finishedAt", "components", "customData", "links")
	})
}

func (s *StateReason) readFrom(r *plainReader) bool {
	return r.stringPair("errorCode", &s.ErrorCode, "message", &s.Message)
}

func (c *ExportComponent) readFrom(r *plainReader) bool {
	return r.stringPair("exportId", &c.ExportID, "replicaSetName", &c.ReplicaSetName)
}

func (l *Label) readFrom(r *plainReader) bool {
	return r.stringPair("key", &l.Key, "value", &l.Value)
}

func (l *Link) readFrom(r *plainReader) bool {
	return r.stringPair("href", &l.Href, "rel", &l.Rel)
}

func (s *ExportStatus) readFrom(r *plainReader) bool {
	var seen fieldSet
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "exportedCollections":
			return seen.add(0) && r.int32Value(&s.ExportedCollections)
		case "totalCollections":
			return seen.add(1) && r.int32Value(&s.TotalCollections)
		}
		return r.unknown(key, "exportedCollections", "totalCollections")
	})
}

// readList reads an array into *dst, each element with read; limit caps its length, 0 for
// no cap but the shape limits'. An empty array is an empty slice, not nil, as encoding/json
// makes it.
func readList[T any](r *plainReader, limit int, dst *[]T, read func(*T, *plainReader) bool) bool {
	list := []T{}
	ok := r.array(limit, func() bool {
		if len(list) == cap(list) {
			list = append(make([]T, 0, max(2*len(list), 2)), list...)
		}
		list = list[:len(list)+1]
		return read(&list[len(list)-1], r)
	})
	*dst = list
	return ok
}

// fieldSet records which of an object's members were read, by number, so that a key sent
// twice ends the plain form.
type fieldSet uint16

// add records member n and reports whether it is the first time.
func (s *fieldSet) add(n uint) bool {
	if *s&(1<<n) != 0 {
		return false
	}
	*s |= 1 << n
	return true
}

// What the plain reader may build before it gives up. A body it gives up on late is decoded
// again by encoding/json, so what it built is memory spent twice: these caps keep that to
// about 2 MiB, whatever the body. A page as the API sends it, 500 jobs with a few components,
// labels and links each, holds about 3,000 array elements and 200 KiB of strings; a document
// past either cap is not in the plain form, whatever it holds.
const (
	plainElements = 8 << 10 // array elements, below maxElements
	plainText     = 1 << 20 // bytes of strings copied
)

// plainReader reads JSON in the plain form from b. Each method reports false when what
// follows is not in that form, and the reader is then abandoned.
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
// but the shape limits'.
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

// state reads a job's state; the documented states are not copied.
func (r *plainReader) state(dst *ExportState) bool {
	s, ok := r.raw()
	if !ok {
		return false
	}
	for _, known := range [...]ExportState{ExportStateQueued, ExportStateInProgress,
		ExportStateSuccessful, ExportStateFailed, ExportStateCancelled} {
		if string(s) == string(known) {
			*dst = known
			return true
		}
	}
	copied, ok := r.copy(s)
	*dst = ExportState(copied)
	return ok
}

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
