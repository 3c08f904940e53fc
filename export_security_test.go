package atlas

import (
	"net/http"

	"github.com/icholy/digest"
)

// defaultTransportOf returns the transport NewClient built under a client's auth when no
// WithHTTPClient transport was given, so that a TLS test can make it trust its test server's
// certificate before the first request. It returns nil when the client has another transport.
func defaultTransportOf(c *Client) *http.Transport {
	var base http.RoundTripper
	switch t := c.hc.Transport.(type) {
	case *bearerTransport:
		base = t.base
	case *digest.Transport:
		base = t.Transport
	}
	tr, _ := base.(*http.Transport)
	return tr
}
