package atlas

// The documents a client reads most, an export job and a page of them, are read here without
// reflection when they come in their plain form: every key once and spelt as the API spells
// it, no escapes in strings, no nulls, integers where integers go. That is the form the API
// sends. Anything else is left to encoding/json, whole: the plain reader gives up, sets the
// result back to zero, and decodeJSON decodes the body as it would without it. So what a
// client accepts, and what a body decodes to, stay encoding/json's: the plain reader accepts only
// documents that encoding/json decodes to the same value and the shape limits allow
// (FuzzPlainDecodeMatchesEncodingJSON and TestPlainReaderAgreesOnGeneratedDocuments check
// both), and it gives up on a document past what a page as the API sends could hold
// (plainElements, plainText).
//
// A job's strings are copied out of the body into one allocation of their own, so a job
// kept keeps its own strings alive and nothing else, and nothing aliases a pooled buffer.

// plainDecoder is a result type with a reader for its plain form.
type plainDecoder interface {
	// decodePlain decodes b into the receiver, which must be zero, and reports whether it
	// could. When it could not, the receiver is zero again.
	decodePlain(b []byte) bool
}

// decodePlain reads an export job in its plain form.
func (j *ExportJob) decodePlain(b []byte) bool {
	return readDocument(b, j, (*ExportJob).readFrom)
}

// decodePlain reads a page of export jobs in its plain form; pages of other items have none.
func (p *Page[T]) decodePlain(b []byte) bool {
	jobs, ok := any(p).(*ExportJobPage)
	return ok && readDocument(b, jobs, readJobPage)
}

// readDocument reads b, whole, into *dst with read, and sets *dst back to zero when b is not
// in the plain form.
func readDocument[T any](b []byte, dst *T, read func(*T, *plainReader) bool) bool {
	r := plainReader{b: b}
	if read(dst, &r) && r.end() {
		return true
	}
	var zero T
	*dst = zero
	return false
}

// readJobPage reads a page object. Each of its arrays is held to a page, as the shape limits
// hold it, and a member it does not know ends the plain form: a page has no others.
func readJobPage(p *ExportJobPage, r *plainReader) bool {
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

// The readFrom methods below read the small objects of a job, two members each.

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
// no cap but the reader's own. An empty array is an empty slice, not nil, as encoding/json
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
