package atlas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Body caps: whatever a server sends, a client reads no more than this.
const (
	// MaxResponseBytes caps a successful response body; a larger one fails with ErrBodyTooLarge.
	MaxResponseBytes = 32 << 20
	// MaxErrorBytes caps how much of an error response is read into an APIError.
	MaxErrorBytes = 64 << 10
)

// readBody reads a whole response body of at most limit bytes and closes it. A longer one,
// announced or not, fails with an error matching ErrBodyTooLarge, having read limit+1 bytes at
// most. A body of announced length is read into one buffer of that size: io.ReadAll cannot be
// told the length, and growing to it in steps allocates about twice the body (four times under
// -race), more than SECURITY.md's bound affords. Without a length, io.ReadAll grows as it must.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, &bodyTooLargeError{length: resp.ContentLength, limit: limit}
	}
	body := io.LimitReader(resp.Body, limit+1)
	var data []byte
	var err error
	if resp.ContentLength < 0 {
		data, err = io.ReadAll(body)
	} else {
		buf := bytes.NewBuffer(make([]byte, 0, resp.ContentLength+bytes.MinRead)) // ReadFrom wants MinRead spare
		_, err = buf.ReadFrom(body)
		data = buf.Bytes()
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &bodyTooLargeError{length: -1, limit: limit}
	}
	return data, nil
}

// readErrorBody reads at most limit bytes of an error response and closes it: the rest, if
// any, is not needed to say what went wrong. A body cut short by the connection keeps what
// arrived.
func readErrorBody(resp *http.Response, limit int64) []byte {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	return data
}

// bodyTooLargeError is a body over its cap. It matches ErrBodyTooLarge and, since the API
// never sends such a body, ErrInvalidResponse.
type bodyTooLargeError struct {
	length int64 // the announced Content-Length; -1 when the body ran past the cap unannounced
	limit  int64
}

// Error names the cap, and the announced length when there was one.
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

// decodeJSON decodes a 2xx body into out with encoding/json. The body must be one JSON
// document, not null, within the shape limits: decoding is where a hostile body multiplies
// memory, so its shape is checked first, without allocating.
func decodeJSON(body []byte, out any, shape shapeLimits) error {
	switch doc := bytes.TrimSpace(body); {
	case len(doc) == 0:
		return fmt.Errorf("%w: empty body", ErrInvalidResponse)
	case string(doc) == "null":
		// null decodes into anything as nothing at all: a caller would get a zero value
		// and no error.
		return fmt.Errorf("%w: the body is JSON null", ErrInvalidResponse)
	}
	if err := shape.check(body); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidResponse, err)
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
