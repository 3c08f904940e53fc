package atlas

import (
	"os"
	"strings"
)

// The environment variables NewClientFromEnv reads: those of the Atlas CLI and the Terraform
// provider.
const (
	// EnvClientID is a service account's client ID (with EnvClientSecret).
	EnvClientID = "MONGODB_ATLAS_CLIENT_ID"
	// EnvClientSecret is a service account's client secret (with EnvClientID).
	EnvClientSecret = "MONGODB_ATLAS_CLIENT_SECRET"
	// EnvPublicAPIKey is an API key's public half, the Terraform provider's name for it.
	EnvPublicAPIKey = "MONGODB_ATLAS_PUBLIC_API_KEY"
	// EnvPrivateAPIKey is an API key's private half, the Terraform provider's name for it.
	EnvPrivateAPIKey = "MONGODB_ATLAS_PRIVATE_API_KEY"
	// EnvPublicKey is an API key's public half, the Atlas CLI's name for it.
	EnvPublicKey = "MONGODB_ATLAS_PUBLIC_KEY"
	// EnvPrivateKey is an API key's private half, the Atlas CLI's name for it.
	EnvPrivateKey = "MONGODB_ATLAS_PRIVATE_KEY"
	// EnvAccessToken is a bearer token the caller already holds.
	EnvAccessToken = "MONGODB_ATLAS_ACCESS_TOKEN"
	// EnvBaseURL is the API's address, https://cloud.mongodb.com when unset.
	EnvBaseURL = "MONGODB_ATLAS_BASE_URL"
	// EnvTokenCache is a directory where service-account tokens are shared by the runs of one
	// machine (NewFileTokenCache, WithTokenCache); unset or empty means no cache. Opt in: the
	// cache keeps a live token on disk for up to an hour (a 0600 file) instead of granting one per
	// run; see docs/tokens.md.
	EnvTokenCache = "MONGODB_ATLAS_TOKEN_CACHE"

	envCredentialList = EnvClientID + "/" + EnvClientSecret + ", " + EnvPublicAPIKey + "/" + EnvPrivateAPIKey +
		", " + EnvPublicKey + "/" + EnvPrivateKey + " or " + EnvAccessToken
)

// NewClientFromEnv builds a Client from the environment, as the Atlas CLI and the Terraform
// provider read it: a service account (MONGODB_ATLAS_CLIENT_ID and _CLIENT_SECRET), an API key
// for digest (MONGODB_ATLAS_PUBLIC_API_KEY and _PRIVATE_API_KEY, or MONGODB_ATLAS_PUBLIC_KEY
// and _PRIVATE_KEY), or a bearer token (MONGODB_ATLAS_ACCESS_TOKEN), and the base URL from
// MONGODB_ATLAS_BASE_URL when set, and a token cache in the directory MONGODB_ATLAS_TOKEN_CACHE
// names when set (see EnvTokenCache). An empty variable counts as unset.
//
// Exactly one credential must be complete. None, half a pair, or two different ones are an
// error wrapping ErrInvalidArgument that names the variables, never their values; both API
// key spellings holding the same key count as one. opts are applied after the environment's
// (a user agent, a logger, a retry policy; WithBaseURL overrides the variable).
func NewClientFromEnv(opts ...Option) (*Client, error) {
	var found []Option
	var names []string
	pair := func(user, secret string, option func(string, string) Option) error {
		u, s := os.Getenv(user), os.Getenv(secret)
		switch {
		case u == "" && s == "":
			return nil
		case u == "":
			return invalid("environment", secret+" is set but "+user+" is not")
		case s == "":
			return invalid("environment", user+" is set but "+secret+" is not")
		}
		found, names = append(found, option(u, s)), append(names, user+"/"+secret)
		return nil
	}
	if err := pair(EnvClientID, EnvClientSecret, WithServiceAccount); err != nil {
		return nil, err
	}
	if err := pair(EnvPublicKey, EnvPrivateKey, WithDigest); err != nil {
		return nil, err
	}
	sameKey := os.Getenv(EnvPublicKey) == os.Getenv(EnvPublicAPIKey) && os.Getenv(EnvPrivateKey) == os.Getenv(EnvPrivateAPIKey)
	if !sameKey || os.Getenv(EnvPublicKey) == "" {
		if err := pair(EnvPublicAPIKey, EnvPrivateAPIKey, WithDigest); err != nil {
			return nil, err
		}
	}
	if tok := os.Getenv(EnvAccessToken); tok != "" {
		found, names = append(found, WithAccessToken(tok)), append(names, EnvAccessToken)
	}
	switch len(found) {
	case 0:
		return nil, invalid("environment", "no credential: set "+envCredentialList)
	case 1:
	default:
		return nil, invalid("environment", "more than one credential is set ("+strings.Join(names, ", ")+"): set exactly one")
	}
	if base := os.Getenv(EnvBaseURL); base != "" {
		found = append(found, WithBaseURL(base))
	}
	if dir := os.Getenv(EnvTokenCache); dir != "" {
		cache, err := NewFileTokenCache(dir)
		if err != nil {
			return nil, invalid("environment", EnvTokenCache+": "+strings.TrimPrefix(err.Error(), "atlas: "))
		}
		found = append(found, WithTokenCache(cache))
	}
	return NewClient(append(found, opts...)...)
}
