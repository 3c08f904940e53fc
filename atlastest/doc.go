// Package atlastest provides an in-memory fake of the MongoDB Atlas Administration API's
// Cloud Backup snapshot export job endpoints, for integration tests of code that uses them.
//
// NewServer starts the fake on a random loopback port, much like httptest.NewServer. It
// serves, on the paths and with the bodies of the OpenAPI contract:
//
//	GET  /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports              (RouteListExports)
//	POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports              (RouteCreateExport)
//	GET  /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports/{exportId}   (RouteGetExport)
//	POST /api/oauth/token                                                                  (RouteToken)
//	POST /api/oauth/revoke                                                                 (RouteRevoke)
//
// Anything else is answered 404 or 405 with an ApiError body (RouteUnknown).
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
// step, then Successful, only when the test says so: Server.AdvanceExport and
// Server.AdvanceAll step them explicitly, WithAutoAdvance steps a job on every GET of it (a
// polling client sees it finish), and WithStepInterval steps jobs as a Clock passed to
// WithClock moves. Server.FailExport and Server.CancelExport end a job.
//
// # Misbehaviour
//
// Server.InjectFault makes the next requests answer with a status (with Retry-After), wait,
// or lose their connection. WithRateLimit puts a token bucket in front of the export-job
// routes, answering 429 RATE_LIMITED with RateLimit-* and Retry-After headers.
// Server.Requests, Server.DigestChallenges and Server.TokenGrants count what clients did, so a
// test can assert that a client caches its token or reuses its digest nonce.
//
// cmd/atlasfake serves the same fake as a standalone program.
package atlastest
