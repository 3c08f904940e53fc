// Package atlas is a typed Go client for the MongoDB Atlas Administration API v2's Cloud
// Backup snapshot export jobs: read one job, list them, create one, and wait for it to finish.
//
// A Client authenticates in one of the three ways Atlas does: a service account (OAuth 2.0
// client credentials, WithServiceAccount), a programmatic API key (HTTP digest, WithDigest),
// or a bearer token the caller already holds (WithAccessToken, WithTokenSource).
//
//	client, err := atlas.NewClient(atlas.WithServiceAccount(
//		os.Getenv("MONGODB_ATLAS_CLIENT_ID"), os.Getenv("MONGODB_ATLAS_CLIENT_SECRET")))
//	if err != nil {
//		return err
//	}
//	job, err := client.Exports.Get(ctx, groupID, "Cluster0", exportID)
//	switch {
//	case errors.Is(err, atlas.ErrNotFound):
//		// no such group, cluster or job
//	case err != nil:
//		return err
//	}
//	fmt.Println(job.State, job.ExportStatus)
//
// Every failure is typed: an *APIError for a non-2xx response (matched with errors.Is against
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer), ErrInvalidArgument
// for arguments refused before any request, ErrInvalidResponse for a 2xx body that is not the
// promised document, and the context's own error when it ends.
//
// GET requests are retried on 429, 5xx and connection errors with jittered exponential
// backoff that honours Retry-After (see RetryPolicy); a create is never sent twice.
//
// Package atlastest is a fake Atlas for testing code that uses this package without an
// Atlas account; cmd/atlasfake serves the same fake as a standalone process.
package atlas
