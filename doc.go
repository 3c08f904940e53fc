// Package atlas is a typed Go client for the MongoDB Atlas Administration API v2's Cloud
// Backup export workflow: find or take a snapshot (Client.Snapshots), find or create an export
// bucket (Client.ExportBuckets), export the snapshot at most once and wait for it
// (Client.Exports), and know exactly what happened.
//
// A Client authenticates in one of the three ways Atlas does: a service account (OAuth 2.0
// client credentials, WithServiceAccount), a programmatic API key (HTTP digest, WithDigest),
// or a bearer token the caller already holds (WithAccessToken, WithTokenSource).
// NewClientFromEnv reads them from the variables the Atlas CLI reads.
//
//	client, err := atlas.NewClientFromEnv()
//	if err != nil {
//		return err
//	}
//	snap, err := client.Snapshots.Latest(ctx, groupID, "Cluster0")
//	if err != nil {
//		return err // errors.Is(err, atlas.ErrNotFound): no completed snapshot yet
//	}
//	job, err := client.Exports.Ensure(ctx, groupID, "Cluster0",
//		&atlas.CreateExportJobRequest{SnapshotID: snap.ID, ExportBucketID: bucketID})
//	if err != nil {
//		return err
//	}
//	job, err = client.Exports.Wait(ctx, groupID, "Cluster0", job.ID, nil)
//
// Every failure is typed and matched with errors.Is and errors.As; Client.Do reaches any other
// operation of the API with the same auth, retries and errors. docs/design.md lists the
// errors and what is retried, docs/requests.md how many requests each operation costs.
//
// Package atlastest is a fake Atlas for testing code that uses this package without an
// Atlas account; cmd/atlasfake serves the same fake as a standalone process.
package atlas
