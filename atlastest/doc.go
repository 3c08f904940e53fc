// Package atlastest provides an in-memory fake of the MongoDB Atlas Administration API's
// Cloud Backup export workflow (export jobs, export buckets, replica-set and sharded-cluster
// snapshots), for integration tests of code that uses it.
//
// NewServer starts the fake on a random loopback port, much like httptest.NewServer. It
// serves, on the paths and with the bodies of the OpenAPI contract (G is
// /api/atlas/v2/groups/{groupId}, C is G/clusters/{clusterName}):
//
//	GET    C/backup/exports                                  (RouteListExports)
//	POST   C/backup/exports                                  (RouteCreateExport)
//	GET    C/backup/exports/{exportId}                       (RouteGetExport)
//	GET    G/backup/exportBuckets                            (RouteListExportBuckets)
//	POST   G/backup/exportBuckets                            (RouteCreateExportBucket)
//	GET    G/backup/exportBuckets/{exportBucketId}           (RouteGetExportBucket)
//	PATCH  G/backup/exportBuckets/{exportBucketId}           (RouteUpdateExportBucket)
//	DELETE G/backup/exportBuckets/{exportBucketId}           (RouteDeleteExportBucket)
//	GET    C/backup/snapshots                                (RouteListSnapshots)
//	POST   C/backup/snapshots                                (RouteTakeSnapshot)
//	GET    C/backup/snapshots/{snapshotId}                   (RouteGetSnapshot)
//	GET    C/backup/snapshots/shardedClusters                (RouteListShardedSnapshots)
//	GET    C/backup/snapshots/shardedCluster/{snapshotId}    (RouteGetShardedSnapshot)
//	POST   /api/oauth/token                                  (RouteToken)
//	POST   /api/oauth/revoke                                 (RouteRevoke)
//
// Anything else is answered 404 or 405 with an ApiError body (RouteUnknown).
//
// # What it models
//
// Projects, clusters, snapshots, export buckets and export jobs exist only once a test adds
// them (AddGroup, AddCluster, AddSnapshot, AddExportBucket, AddExportJob) or creates them
// through the API; an unknown project or cluster is 404 GROUP_NOT_FOUND or CLUSTER_NOT_FOUND,
// and SetAccess makes a project read-only or forbidden (403). Path parameters, paging
// parameters and request bodies are checked against the contract, with every violation listed
// in the 400's badRequestDetail. An export bucket's cloudProvider decides which fields it
// needs. Snapshots are replica-set or sharded-cluster ones by their Type, and each kind is
// served only by its own routes.
//
// Creating an export job is strict, as Atlas is: the snapshot must exist in the cluster (else
// 404 SNAPSHOT_NOT_FOUND), the bucket in the project (else 404 EXPORT_BUCKET_NOT_FOUND), and
// the snapshot must be completed (else 400 CANNOT_EXPORT_INCOMPLETE_SNAPSHOT).
// WithLenientExports turns this off.
//
// # Resource versions
//
// Each operation serves the resource versions of the contract: the export-bucket list, get,
// create and update 2024-05-30, the list and create also the deprecated AWS-only 2023-01-01
// (AWS buckets only, in the AWS bucket shape); everything else 2023-01-01. As Atlas does, the
// fake answers a dated Accept (application/vnd.atlas.YYYY-MM-DD+json) with the newest version
// of the operation not after the date, and a date before the operation's first version with
// 406 INVALID_VERSION_DATE; no Accept, */* and application/json get the newest version. A
// dated Content-Type of a request body is resolved the same way (415 when it names no
// version, or another version than Accept). Success answers carry the version served as their
// Content-Type; error bodies are application/json.
//
// # Authentication
//
// Both of Atlas's schemes are checked for real. An API key (Server.PublicKey and
// Server.PrivateKey) authenticates with HTTP digest (RFC 7616, MD5, qop "auth", realm
// "MMS Public API"); the server verifies the response hash and the uri, lets a client reuse a
// nonce with increasing nonce counts, and re-challenges with stale=true when a nonce wears out
// (WithNonceLifetime, WithNonceUses, Server.ExpireNonces). A service account (Server.ClientID
// and Server.ClientSecret) gets a bearer token from the token endpoint with the client
// credentials grant; tokens expire (WithTokenLifetime) and can be revoked.
//
// # Progress
//
// Jobs move Queued, then InProgress with exportStatus.exportedCollections climbing by one per
// step, then Successful; snapshots move queued, inProgress, completed. They move only when the
// test says so: Server.AdvanceExport, Server.AdvanceAll and Server.AdvanceSnapshot step them
// explicitly, WithAutoAdvance steps a job or snapshot on every GET of that one (a polling
// client sees it finish; lists move nothing), and WithStepInterval steps them as a Clock
// passed to WithClock moves. Server.FailExport, Server.CancelExport and Server.FailSnapshot
// end one.
//
// # Misbehaviour
//
// Server.InjectFault makes the next requests answer with a status (with Retry-After), wait,
// or lose their connection. WithRateLimit puts a token bucket in front of the API routes,
// answering 429 RATE_LIMITED with RateLimit-* and Retry-After headers. Server.Requests,
// Server.DigestChallenges and Server.TokenGrants count what clients did, so a test can assert
// that a client caches its token or reuses its digest nonce.
//
// # What it does not model
//
// Cluster types and cloud providers (a taken snapshot is always a replica-set one), snapshot
// retention and deletion, the snapshot list's point-in-time parameters, auto-export and the
// refusal to delete a bucket that clusters export to, the refusal to take an on-demand
// snapshot while another is queued or in progress, the envelope parameter, and the bucket's
// real region and Azure tenant (us-east-1 and a random UUID).
//
// cmd/atlasfake serves the same fake as a standalone program.
package atlastest
