package atlas

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// Option configures a Client; the With... functions make them. Options are checked by
// NewClient, which reports the first problem as an error wrapping ErrInvalidArgument.
type Option interface {
	apply(*settings) error
}

// optionFunc is an Option made of a function: every With... returns one.
type optionFunc func(*settings) error

func (f optionFunc) apply(s *settings) error { return f(s) }

// settings is what the options collected, before NewClient validates it.
type settings struct {
	baseURL    string
	httpClient *http.Client
	userAgent  string
	creds      credentials
	retry      RetryPolicy
	limiter    *rate.Limiter
	logger     *slog.Logger
}

// WithBaseURL sets the API's address; the default is https://cloud.mongodb.com. The URL must be
// https, or http to a loopback host (127.0.0.0/8, ::1, localhost) for tests. A path is kept as a
// prefix; user info, a query or a fragment are refused.
func WithBaseURL(baseURL string) Option {
	return optionFunc(func(s *settings) error {
		s.baseURL = baseURL
		return nil
	})
}

// WithHTTPClient sets the *http.Client whose Transport, Timeout and Jar the SDK uses. The
// caller's client is never modified: the SDK builds its own client around a copy of these
// fields, wraps the Transport with authentication, and refuses redirects. A nil Transport
// means the SDK's default transport, not http.DefaultTransport; it keeps at most 64
// connections to the API host, and calls beyond 64 in flight wait for one. A Timeout bounds
// each attempt in place of DefaultAttemptTimeout; zero keeps the default, so that no attempt
// is ever unbounded.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(s *settings) error {
		if hc == nil {
			return invalid("WithHTTPClient", "the *http.Client is nil")
		}
		s.httpClient = hc
		return nil
	})
}

// WithUserAgent puts product in front of the SDK's own "atlas-go/<version>" User-Agent.
func WithUserAgent(product string) Option {
	return optionFunc(func(s *settings) error {
		// net/http refuses to send a header value with a control character other than tab,
		// so such a product would fail every request instead of this option.
		if strings.ContainsFunc(product, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return invalid("WithUserAgent", "contains a line break or another control character")
		}
		s.userAgent = strings.TrimSpace(product)
		return nil
	})
}

// WithAccessToken authenticates every request with a bearer token the caller already holds.
// The SDK does not renew it: when it expires, calls fail with ErrUnauthorized.
func WithAccessToken(token string) Option {
	return optionFunc(func(s *settings) error {
		if token == "" {
			return invalid("WithAccessToken", "the token is empty")
		}
		if err := checkCredential("WithAccessToken", "the token", token); err != nil {
			return err
		}
		s.creds.kinds = append(s.creds.kinds, authAccessToken)
		s.creds.accessToken = seal(token)
		return nil
	})
}

// WithTokenSource authenticates every request with a bearer token from ts, which should cache
// its tokens (wrap it in oauth2.ReuseTokenSource if it does not).
func WithTokenSource(ts oauth2.TokenSource) Option {
	return optionFunc(func(s *settings) error {
		if ts == nil {
			return invalid("WithTokenSource", "the token source is nil")
		}
		s.creds.kinds = append(s.creds.kinds, authTokenSource)
		s.creds.tokenSource = seal(ts)
		return nil
	})
}

// WithServiceAccount authenticates as an Atlas service account: the SDK grants an OAuth 2.0
// token (client credentials, HTTP Basic) at {base}/api/oauth/token, shares one cached token
// among all goroutines, renews it shortly before it expires, and grants anew once when the API
// answers 401 to it. At most one grant is in flight per client.
func WithServiceAccount(clientID, clientSecret string) Option {
	return withKeyPair(authServiceAccount, "WithServiceAccount", "the client ID", "the client secret", clientID, clientSecret)
}

// WithDigest authenticates with a programmatic API key over HTTP digest (RFC 7616). The
// server's challenge is reused, so steady-state calls take one round trip.
func WithDigest(publicKey, privateKey string) Option {
	return withKeyPair(authDigest, "WithDigest", "the public key", "the private key", publicKey, privateKey)
}

// withKeyPair is the option of an auth mode that takes a user and a secret, both required.
func withKeyPair(kind authKind, name, userName, passwordName, user, password string) Option {
	return optionFunc(func(s *settings) error {
		if user == "" || password == "" {
			return invalid(name, userName+" and "+passwordName[len("the "):]+" must both be set")
		}
		if err := errors.Join(checkCredential(name, userName, user), checkCredential(name, passwordName, password)); err != nil {
			return err
		}
		s.creds.kinds = append(s.creds.kinds, kind)
		s.creds.user = user
		s.creds.password = seal(password)
		return nil
	})
}

// WithRetry sets the retry policy; see RetryPolicy for the defaults and what is retried.
// RetryPolicy{MaxAttempts: 1} turns retries off.
func WithRetry(p RetryPolicy) Option {
	return optionFunc(func(s *settings) error {
		if p.MaxAttempts < 0 || p.MinBackoff < 0 || p.MaxBackoff < 0 {
			return invalid("WithRetry", "negative values are not allowed")
		}
		s.retry = p
		return nil
	})
}

// WithRateLimit limits the client to r requests a second with bursts of burst, shared by every
// goroutine using it, so that a fleet of callers stays inside a known budget instead of
// collecting 429s. Each attempt, retries included, waits for a token; the wait ends with the
// context.
func WithRateLimit(r rate.Limit, burst int) Option {
	return optionFunc(func(s *settings) error {
		if r <= 0 || burst < 1 {
			return invalid("WithRateLimit", "the rate must be positive and the burst at least 1")
		}
		s.limiter = rate.NewLimiter(r, burst)
		return nil
	})
}

// WithLogger sends one debug record per attempt to logger: method, path, status, attempt,
// wait and duration. Records never hold a credential, a header or a body.
func WithLogger(logger *slog.Logger) Option {
	return optionFunc(func(s *settings) error {
		if logger == nil {
			return invalid("WithLogger", "the logger is nil")
		}
		s.logger = logger
		return nil
	})
}

// checkCredential refuses a credential holding a control character: a header cannot carry
// one, so every call would fail, and a line break at the end is what reading a file or a
// secret store often leaves. The error names the option or variable, never the value.
func checkCredential(name, what, v string) error {
	isControl := func(r rune) bool { return r < ' ' || r == 0x7f }
	switch trimmed := strings.TrimRight(v, "\r\n"); {
	case trimmed != v && !strings.ContainsFunc(trimmed, isControl):
		return invalid(name, what+" ends with a line break: remove it")
	case strings.ContainsFunc(v, isControl):
		return invalid(name, what+" holds a line break or another control character")
	}
	return nil
}

// userAgent builds the User-Agent header.
func userAgent(product string) string {
	ua := "atlas-go/" + Version
	if product != "" {
		ua = product + " " + ua
	}
	return ua
}
