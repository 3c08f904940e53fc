package atlas

import (
	"context"
	"fmt"
	"net/url"
)

// checkContext refuses a nil context before anything uses it.
func checkContext(ctx context.Context) error {
	if ctx == nil {
		return invalid("ctx", "is nil")
	}
	return nil
}

// checkHexID checks an id against the spec's ^([a-f0-9]{24})$. The error does not repeat the
// value: a caller who swapped arguments might have passed a secret.
func checkHexID(name, id string) error {
	if len(id) != 24 {
		return invalid(name, fmt.Sprintf("must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got %d characters", len(id)))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return invalid(name, fmt.Sprintf("must be 24 lowercase hexadecimal characters (^([a-f0-9]{24})$), got a disallowed character at position %d", i+1))
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

// groupPath checks the context and group and returns the group's escaped path. Segments are
// escaped even though the checks leave nothing to escape: a path must never depend on a check
// being complete.
func groupPath(ctx context.Context, groupID string) (string, error) {
	if err := checkContext(ctx); err != nil {
		return "", err
	}
	if err := checkHexID("groupID", groupID); err != nil {
		return "", err
	}
	return "/api/atlas/v2/groups/" + url.PathEscape(groupID), nil
}

// clusterPath checks the context, group and cluster and returns the cluster's escaped path.
func clusterPath(ctx context.Context, groupID, clusterName string) (string, error) {
	group, err := groupPath(ctx, groupID)
	if err != nil {
		return "", err
	}
	if err := checkClusterName(clusterName); err != nil {
		return "", err
	}
	return group + "/clusters/" + url.PathEscape(clusterName), nil
}

// idPath checks an id and appends it to path.
func idPath(path, name, id string) (string, error) {
	if err := checkHexID(name, id); err != nil {
		return "", err
	}
	return path + "/" + url.PathEscape(id), nil
}
