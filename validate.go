package atlas

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// checkHexID checks an id against the spec's ^([a-f0-9]{24})$. The error does not repeat the
// value: a caller who swapped arguments might have passed a secret.
func checkHexID(name, id string) error {
	const want = "must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got "
	if len(id) != 24 {
		return invalid(name, fmt.Sprintf(want+"%d characters", len(id)))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return invalid(name, fmt.Sprintf(want+"a disallowed character at position %d", i+1))
		}
	}
	return nil
}

// checkClusterName checks a cluster name against the spec's ^[a-zA-Z0-9][a-zA-Z0-9-]*$.
func checkClusterName(name string) error {
	if name == "" {
		return invalid("clusterName", "is empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' && i > 0
		if !ok {
			return invalid("clusterName", fmt.Sprintf("must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$, got a disallowed character at position %d", i+1))
		}
	}
	return nil
}

// checkRequestPath checks Client.Do's Request.Path: an escaped path only, under /api/, whose
// segments, once decoded, are neither . nor .. and hold no / or \. A server, or a proxy
// before it, that decodes %2e%2e or %2f before resolving the path would otherwise take
// /api/%2e%2e/admin outside /api/. The errors never repeat the path, in case a caller passed a
// secret in its place.
func checkRequestPath(p string) error {
	u, err := url.Parse(p)
	switch {
	case err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.ContainsAny(p, "?#"):
		return invalid("Request.Path", "must be an escaped path only, without a scheme, host, query or fragment")
	case !strings.HasPrefix(p, "/api/"):
		return invalid("Request.Path", "must start with /api/")
	}
	for seg := range strings.SplitSeq(p[len("/api/"):], "/") {
		switch s, err := url.PathUnescape(seg); {
		case err != nil:
			return invalid("Request.Path", "holds a malformed %-escape")
		case s == "." || s == "..":
			return invalid("Request.Path", "must not hold . or .. segments, escaped or not")
		case strings.ContainsAny(s, "/\\"):
			return invalid("Request.Path", "must not hold an escaped / (%2F) or a \\ in a segment")
		}
	}
	return nil
}

// checkGroup checks the context and group of a project's operation: a nil context is refused
// before anything uses it.
func checkGroup(ctx context.Context, groupID string) error {
	if ctx == nil {
		return invalid("ctx", "is nil")
	}
	return checkHexID("groupID", groupID)
}

// checkCluster checks the context, group and cluster of a cluster's operation.
func checkCluster(ctx context.Context, groupID, clusterName string) error {
	if err := checkGroup(ctx, groupID); err != nil {
		return err
	}
	return checkClusterName(clusterName)
}

// apiPath returns the escaped path of coll under a project, or under its cluster clusterName
// unless that is "", followed by /id unless id is "". Segments are escaped even though the
// checks leave nothing to escape: a path must never depend on a check being complete. It is
// one concatenation, so one allocation.
func apiPath(groupID, clusterName, coll, id string) string {
	clusters, slash := "", ""
	if clusterName != "" {
		clusters = "/clusters/"
	}
	if id != "" {
		slash = "/"
	}
	return "/api/atlas/v2/groups/" + url.PathEscape(groupID) + clusters + url.PathEscape(clusterName) + coll + slash + url.PathEscape(id)
}
