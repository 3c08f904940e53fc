// Package atlas is a typed client for the MongoDB Atlas Administration API's Cloud Backup
// snapshot export jobs.
package atlas
