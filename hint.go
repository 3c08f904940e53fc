package atlas

import (
	"net/http"
	"path"
	"strings"
)

// hint says what to check after a 401 or a 403, for the auth mode in use and the operation
// that was refused; "" for other statuses. It names options and variables, never a value.
func hint(auth authKind, method, path string, status int) string {
	switch {
	case status == http.StatusUnauthorized:
		switch auth {
		case authServiceAccount:
			return "Check the service account's client ID and secret (" + EnvClientID + " and " + EnvClientSecret +
				", or WithServiceAccount's arguments), that the secret has not expired, and that this address is on the service account's IP access list"
		case authDigest:
			return "Check the API key's public and private key (" + EnvPublicKey + " and " + EnvPrivateKey + ", " +
				EnvPublicAPIKey + " and " + EnvPrivateAPIKey + ", or WithDigest's arguments) and that this address is on the key's IP access list"
		case authAccessToken:
			return "The access token (" + EnvAccessToken + " or WithAccessToken) has expired or was revoked: get a new one"
		case authTokenSource:
			return "The token source's token was refused: check that it gives a current, unrevoked Atlas token"
		}
	case status == http.StatusForbidden && strings.HasSuffix(path, tokenPath):
		return "The token endpoint refused a grant: a service account holds at most 100 live tokens, each valid one hour; share tokens between processes with a TokenCache"
	case status == http.StatusForbidden:
		needs := "a role on the project that allows this operation"
		if role := roleFor(method, path); role != "" {
			needs = "the " + role + " role (or one that includes it, such as Project Owner) on the project for this operation"
		}
		return "The credential needs " + needs + ", and this address must be on its IP access list"
	}
	return ""
}

// roleFor returns the role the operation on urlPath needs, or "" for a path the spec does not
// list. The path is matched, rather than the role carried on the request, so that Client.Do's
// calls to these operations get the same hint.
func roleFor(method, urlPath string) string {
	// The role of each operation in the spec's x-rolesRequirements: the method, and the path
	// after /api/atlas/v2/groups/{groupId} as a path.Match pattern.
	roles := []struct{ method, pattern, role string }{
		{http.MethodGet, "/clusters/*/backup/exports", "Project Backup Manager"},
		{http.MethodPost, "/clusters/*/backup/exports", "Project Backup Export Operator"},
		{http.MethodGet, "/clusters/*/backup/exports/*", "Project Backup Manager"},
		{http.MethodGet, "/backup/exportBuckets", "Project Read Only"},
		{http.MethodPost, "/backup/exportBuckets", "Project Backup Manager"},
		{http.MethodGet, "/backup/exportBuckets/*", "Project Read Only"},
		{http.MethodPatch, "/backup/exportBuckets/*", "Project Backup Manager"},
		{http.MethodDelete, "/backup/exportBuckets/*", "Project Backup Manager"},
		{http.MethodGet, "/clusters/*/backup/snapshots", "Project Read Only"},
		{http.MethodPost, "/clusters/*/backup/snapshots", "Project Backup Creator"},
		{http.MethodGet, "/clusters/*/backup/snapshots/*", "Project Read Only"},
		{http.MethodGet, "/clusters/*/backup/snapshots/shardedCluster/*", "Project Read Only"},
	}
	_, rest, ok := strings.Cut(urlPath, "/api/atlas/v2/groups/")
	if !ok {
		return ""
	}
	for _, r := range roles {
		if match, _ := path.Match("*"+r.pattern, rest); match && r.method == method {
			return r.role
		}
	}
	return ""
}

// withHint returns err with the hint for the auth mode in use set on the *APIError it holds,
// directly or in a *GrantError. The *APIError is copied, never changed in place: a refused
// grant is shared by every caller that waited for it.
func withHint(err error, auth authKind) error {
	switch e := err.(type) {
	case *APIError:
		if h := hint(auth, e.Method, e.Path, e.StatusCode); h != "" {
			c := *e
			c.Hint = h
			return &c
		}
	case *GrantError:
		if apiErr, ok := e.Err.(*APIError); ok { // a refusal is never wrapped: see serviceAccount.refusal
			if c := withHint(apiErr, auth); c != apiErr {
				return &GrantError{RetryAfter: e.RetryAfter, Err: c}
			}
		}
	}
	return err
}
