package atlas

import (
	"net/url"
	"strings"

	"github.com/atlas-exports/atlas/internal/loopback"
)

// checkBaseURL validates a base URL and returns it without a trailing slash. Its errors
// name the URL by scheme, host and path only: user info, a query or a fragment could hold a
// credential.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid("WithBaseURL", "not a URL")
	}
	shown := shownURL(u)
	switch {
	case u.User != nil:
		return "", invalid("WithBaseURL", "user info is not allowed in the base URL ("+shown+"): use an auth option")
	case u.Hostname() == "":
		return "", invalid("WithBaseURL", "no host in "+shown)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", invalid("WithBaseURL", "a query or fragment is not allowed in "+shown)
	case isAPIPath(u.Path):
		return "", invalid("WithBaseURL", "give the host only, such as https://cloud.mongodb.com: the SDK adds the API's path "+u.Path+" itself")
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !loopback.Host(u.Hostname()) {
			return "", invalid("WithBaseURL", "plain http is only allowed to a loopback host, not "+shown)
		}
	default:
		return "", invalid("WithBaseURL", "the scheme must be https (or http to loopback) in "+shown)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// isAPIPath reports whether a base URL's path ends in the API's own path (/api, /api/atlas,
// /api/atlas/v2), which the SDK adds to every request: every call would then be a 404.
func isAPIPath(p string) bool {
	p = strings.ToLower(strings.TrimSuffix(p, "/"))
	return strings.HasSuffix(p, "/api") || strings.HasSuffix(p, "/api/atlas") || strings.HasSuffix(p, "/api/atlas/v2")
}
