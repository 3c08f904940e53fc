package atlas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Body caps: whatever a server sends, a client reads no more than this.
const (
	// MaxResponseBytes caps a successful response body; a larger one fails with ErrBodyTooLarge.
	MaxResponseBytes = 32 << 20
	// MaxErrorBytes caps how much of an error response is read into an APIError.
	MaxErrorBytes = 64 << 10
)

// Buffer sizes: a body is read into a pooled buffer that doubles up to pooledMax, then into
// chunks of chunkSize, which are joined only once the whole body is in.
const (
	pooledMin = 4 << 10
	pooledMax = 1 << 20
	chunkSize = 1 << 20
)

// bodyBuffers lends the buffers bodies are read into, so that a busy client does not allocate
// a page's size on every call. A buffer goes back only after decoding, and decoding copies
// every string out of it: nothing returned to a caller aliases a pooled buffer.
type bodyBuffers struct{ pool sync.Pool }

// get lends a buffer of length zero.
func (b *bodyBuffers) get() *[]byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return p
	}
	buf := make([]byte, 0, pooledMin)
	return &buf
}

// put takes a buffer back, unless it grew past pooledMax: one huge body must not stay
// resident for the client's lifetime.
func (b *bodyBuffers) put(p *[]byte) {
	if cap(*p) <= pooledMax {
		*p = (*p)[:0]
		b.pool.Put(p)
	}
}

// read reads the whole body into *p (growing it as needed) when it is at most limit bytes,
// and fails with an error wrapping ErrBodyTooLarge when it is longer, having held about limit
// bytes at most either way. length is the announced Content-Length, -1 when unknown. When
// truncate is set, a longer body is not an error: its first limit bytes are returned.
func (b *bodyBuffers) read(p *[]byte, r io.Reader, length, limit int64, truncate bool) ([]byte, error) {
	if length > limit && !truncate {
		return nil, &bodyTooLargeError{length: length, limit: limit}
	}
	buf := (*p)[:0]
	if length >= 0 && int64(cap(buf)) <= length {
		buf = make([]byte, 0, min(length, limit)+1) // the extra byte shows whether more follows
	}
	var chunks [][]byte
	for {
		if len(buf) == cap(buf) {
			size := int64(len(buf))
			for _, c := range chunks {
				size += int64(len(c))
			}
			if size > limit {
				if truncate {
					break
				}
				return nil, &bodyTooLargeError{length: -1, limit: limit}
			}
			if chunks == nil && cap(buf) < pooledMax {
				// Doubles, copying less than pooledMax, but to no more than the byte that
				// shows a body is over the cap: slices.Grow would round up past it.
				grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
				copy(grown, buf)
				buf = grown
			} else {
				chunks = append(chunks, buf)
				buf = make([]byte, 0, min(chunkSize, limit+1-size))
			}
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if chunks == nil {
		*p = buf
	} else {
		chunks = append(chunks, buf)
		*p = bytes.Join(chunks, nil)
	}
	body := *p
	if int64(len(body)) > limit {
		if !truncate {
			return nil, &bodyTooLargeError{length: -1, limit: limit}
		}
		body = body[:limit]
	}
	return body, nil
}

// bodyTooLargeError is a body over its cap. It matches ErrBodyTooLarge and, since the API
// never sends such a body, ErrInvalidResponse.
type bodyTooLargeError struct {
	length int64 // the announced Content-Length; -1 when the body ran past the cap unannounced
	limit  int64
}

func (e *bodyTooLargeError) Error() string {
	if e.length >= 0 {
		return fmt.Sprintf("%v: Content-Length %d is over the %d-byte cap", ErrBodyTooLarge, e.length, e.limit)
	}
	return fmt.Sprintf("%v: over the %d-byte cap", ErrBodyTooLarge, e.limit)
}

// Is matches ErrBodyTooLarge and ErrInvalidResponse.
func (e *bodyTooLargeError) Is(target error) bool {
	return target == ErrBodyTooLarge || target == ErrInvalidResponse
}

// decodeJSON decodes a 2xx body into out, as d says. The body must be one JSON document
// within the shape limits: decoding is where a hostile body multiplies memory, so its shape
// is checked first, without allocating. A result in its plain form is read by its own reader,
// which keeps to the same limits; any other goes to encoding/json.
func decodeJSON(body []byte, out any, d decoding) error {
	switch doc := bytes.TrimSpace(body); {
	case len(doc) == 0:
		return fmt.Errorf("%w: empty body", ErrInvalidResponse)
	case d.shape.nonNull && string(doc) == "null":
		return fmt.Errorf("%w: the body is JSON null", ErrInvalidResponse)
	}
	if d.plain != nil && d.plain.decodePlain(body) {
		return nil
	}
	results, err := d.shape.check(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidResponse, err)
	}
	if d.reserve != nil && results > 0 {
		d.reserve.reserve(results)
	}
	// Unmarshal, unlike a Decoder, also refuses data after the document: a body with
	// anything after its JSON is not what was promised.
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidResponse, err)
	}
	return nil
}

// errTooDeep and errTooMany say why a body's shape was refused.
var (
	errTooDeep = errors.New("the document nests deeper than the API ever does")
	errTooMany = errors.New("the document has more array elements than the API ever sends")
)
