package atlas

import (
	"context"
	"net/url"
)

// The paths of the services' operations. Both functions check every argument first, so that a
// refused one is ErrInvalidArgument before anything is sent or waited for, and return the
// escaped path of the collection coll, followed by /id when idName names an id ("" for none).

// projectOpPath checks the arguments of an operation under a project and returns its path.
func projectOpPath(ctx context.Context, groupID, coll, idName, id string) (string, error) {
	if err := checkGroup(ctx, groupID); err != nil {
		return "", err
	}
	if idName != "" {
		if err := checkHexID(idName, id); err != nil {
			return "", err
		}
	}
	return groupPath(groupID, coll, id), nil
}

// clusterOpPath checks the arguments of an operation under a cluster and returns its path.
func clusterOpPath(ctx context.Context, groupID, clusterName, coll, idName, id string) (string, error) {
	if err := checkCluster(ctx, groupID, clusterName); err != nil {
		return "", err
	}
	return projectOpPath(ctx, groupID, "/clusters/"+url.PathEscape(clusterName)+coll, idName, id)
}
