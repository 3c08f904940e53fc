package atlastest

import "encoding/json"

// WithSparseResponses makes every successful answer leave out each field the API may leave
// out, keeping only what the contract requires (an export job's exportBucketId, a bucket's
// _id, bucketName and cloudProvider, a page's results) and each resource's id and its
// lifecycle state (id, state, status), without which no workflow can be followed. Progress
// (exportStatus), reasons, timestamps, labels, prefixes, components, links and counts are all
// absent, as a newer or busier Atlas may send them. The fake's data is unchanged: only what it
// sends is pruned. Use it to check that code survives every optional field being absent: a
// nil *ExportStatus, a zero CreatedAt, a page without totalCount or next link.
func WithSparseResponses() Option {
	return func(c *config) { c.sparse = true }
}

// sparseKeep are the fields a sparse answer keeps: the union over the answers' schemas of
// their required properties, plus the id and the lifecycle state.
var sparseKeep = map[string]bool{
	"id": true, "_id": true, "state": true, "status": true, "results": true,
	"exportBucketId": true, "bucketName": true, "cloudProvider": true,
	"iamRoleId":      true, // required by the deprecated 2023-01-01 AWS bucket schema
	"replicaSetName": true,
}

// sparse returns v as the JSON tree a sparse answer sends.
func sparse(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v // writeBody reports what cannot be encoded
	}
	var tree any
	if json.Unmarshal(data, &tree) != nil {
		return v
	}
	return prune(tree)
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if !sparseKeep[k] {
				delete(v, k)
				continue
			}
			v[k] = prune(child)
		}
	case []any:
		for i := range v {
			v[i] = prune(v[i])
		}
	}
	return v
}
