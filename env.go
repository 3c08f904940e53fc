package atlas

import (
	"os"
	"slices"
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
// key spellings holding the same key count as one. A value with a line break or another
// control character (a token read from a file with its newline, say) is refused, naming the
// variable. So is a MONGODB_* variable within two edits of one read here, such as
// MONGODB_ATLAS_BASEURL, unless the Atlas CLI or the Terraform provider reads it: the error
// names the likely intended variable. opts are applied after the environment's
// (a user agent, a logger, a retry policy; WithBaseURL overrides the variable).
func NewClientFromEnv(opts ...Option) (*Client, error) {
	if err := checkEnvNames(os.Environ()); err != nil {
		return nil, err
	}
	for _, name := range envNames() {
		if err := checkCredential(name, "its value", os.Getenv(name)); err != nil {
			return nil, err
		}
	}
	var found []Option
	var names []string
	// pair reads a credential of two variables; other is the API key's other spelling, named
	// when half of this one is set and the other is whole.
	pair := func(user, secret string, option func(string, string) Option, other [2]string) error {
		u, s := os.Getenv(user), os.Getenv(secret)
		half := ""
		switch {
		case u == "" && s == "":
			return nil
		case u == "":
			half = secret + " is set but " + user + " is not"
		case s == "":
			half = user + " is set but " + secret + " is not"
		default:
			found, names = append(found, option(u, s)), append(names, user+"/"+secret)
			return nil
		}
		if other[0] != "" && os.Getenv(other[0]) != "" && os.Getenv(other[1]) != "" {
			half += "; " + other[0] + " and " + other[1] + " are both set: unset the half pair, or use one spelling"
		}
		return invalid("environment", half)
	}
	if err := pair(EnvClientID, EnvClientSecret, WithServiceAccount, [2]string{}); err != nil {
		return nil, err
	}
	if err := pair(EnvPublicKey, EnvPrivateKey, WithDigest, [2]string{EnvPublicAPIKey, EnvPrivateAPIKey}); err != nil {
		return nil, err
	}
	sameKey := os.Getenv(EnvPublicKey) == os.Getenv(EnvPublicAPIKey) && os.Getenv(EnvPrivateKey) == os.Getenv(EnvPrivateAPIKey)
	if !sameKey || os.Getenv(EnvPublicKey) == "" {
		if err := pair(EnvPublicAPIKey, EnvPrivateAPIKey, WithDigest, [2]string{EnvPublicKey, EnvPrivateKey}); err != nil {
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

// envNames are the variables NewClientFromEnv reads.
func envNames() []string {
	return []string{EnvClientID, EnvClientSecret, EnvPublicAPIKey, EnvPrivateAPIKey, EnvPublicKey, EnvPrivateKey,
		EnvAccessToken, EnvBaseURL, EnvTokenCache}
}

// checkEnvNames refuses a MONGODB_* variable that is set, not read, and within two edits of
// one that is: MONGODB_ATLAS_BASEURL would otherwise leave the client quietly on production.
// The error names the variable and the likely intended one, never a value. The variables the
// Atlas CLI and the Terraform provider read and this package does not (MONGODB_ATLAS_ORG_ID,
// _PROJECT_ID, _OUTPUT, _SERVICE, _REFRESH_TOKEN, ...) are all at least four edits from these,
// so they pass without a list of their own.
func checkEnvNames(environ []string) error {
	read := envNames()
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" || !strings.HasPrefix(name, "MONGODB_") || slices.Contains(read, name) {
			continue
		}
		for _, want := range read {
			if editDistance(name, want) <= 2 {
				return invalid("environment", name+" is set but is not a variable NewClientFromEnv reads: did you mean "+want+"?")
			}
		}
	}
	return nil
}

// editDistance is the optimal-string-alignment distance between a and b: insertions,
// deletions, substitutions and transpositions of neighbours, one edit each.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1) // d[i][j] is the distance between a[:i] and b[:j]
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
