package atlas

import "context"

// projectOpPath checks the arguments of an operation under a project and returns the escaped
// path of its collection coll, followed by /id when idName names an id ("" for none). Every
// argument is checked first, so that a refused one is ErrInvalidArgument before anything is
// sent or waited for.
func projectOpPath(ctx context.Context, groupID, coll, idName, id string) (string, error) {
	if err := checkGroup(ctx, groupID); err != nil {
		return "", err
	}
	return opPath(groupID, "", coll, idName, id)
}

// clusterOpPath is projectOpPath for an operation under a cluster.
func clusterOpPath(ctx context.Context, groupID, clusterName, coll, idName, id string) (string, error) {
	if err := checkCluster(ctx, groupID, clusterName); err != nil {
		return "", err
	}
	return opPath(groupID, clusterName, coll, idName, id)
}

// opPath checks the operation's id when idName names one, and returns the operation's path.
func opPath(groupID, clusterName, coll, idName, id string) (string, error) {
	if idName != "" {
		if err := checkHexID(idName, id); err != nil {
			return "", err
		}
	}
	return apiPath(groupID, clusterName, coll, id), nil
}

// doOne runs r, an operation on the document named id, and refuses an answer about another
// document; idOf reads the answer's id and what names the kind of document, for the error.
func doOne[T any](ctx context.Context, c *Client, r *request, what, id string, idOf func(*T) string) (*T, error) {
	v, err := doJSON[T](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return sameID(c, r, what, id, idOf(v), v)
}
