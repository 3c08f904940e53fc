package atlastest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenGrantBearerExpiryAndRevoke(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	// A secret with characters that RFC 6749 §2.3.1 form-encoding changes.
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTokenLifetime(10*time.Minute),
		atlastest.WithServiceAccount("mdb_sa_id_0123456789abcdef01234567", "s3cr:t/+= %"))
	hc := newClient(t)

	resp := postToken(t, hc, srv, srv.ClientID, srv.ClientSecret, "grant_type=client_credentials")
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	tok := readToken(t, resp)
	assert.Equal(t, 600, tok.ExpiresIn)
	assert.Equal(t, 1, srv.TokenGrants())

	resp = bearerGet(t, hc, exportsURL(srv, ""), tok.AccessToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	drain(resp)

	// A second token for the same account lives independently of the first.
	second := bearerToken(t, hc, srv)
	assert.Equal(t, 2, srv.TokenGrants())

	clk.Advance(10 * time.Minute)
	resp = bearerGet(t, hc, exportsURL(srv, ""), tok.AccessToken)
	assert.Empty(t, resp.Header.Get("WWW-Authenticate"), "a bearer failure carries no digest challenge")
	e := requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	assert.Contains(t, e.Detail, "expired")

	fresh := bearerToken(t, hc, srv)
	form := url.Values{"token": {fresh}, "token_type_hint": {"access_token"}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/revoke", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(formEscape(srv.ClientID), formEscape(srv.ClientSecret))
	resp, err := hc.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	drain(resp)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteRevoke))

	resp = bearerGet(t, hc, exportsURL(srv, ""), fresh)
	e = requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	assert.Contains(t, e.Detail, "revoked")

	srv.RevokeTokens()
	resp = bearerGet(t, hc, exportsURL(srv, ""), second)
	requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	tests := []struct {
		name, id, secret, form string
		status                 int
		code                   string
	}{
		{"wrong secret", srv.ClientID, "nope", "grant_type=client_credentials", http.StatusUnauthorized, "invalid_client"},
		{"unknown client", "mdb_sa_id_ffffffffffffffffffffffff", srv.ClientSecret, "grant_type=client_credentials", http.StatusUnauthorized, "invalid_client"},
		{"password grant", srv.ClientID, srv.ClientSecret, "grant_type=password&username=a&password=b", http.StatusBadRequest, "unsupported_grant_type"},
		{"no grant type", srv.ClientID, srv.ClientSecret, "scope=x", http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postToken(t, hc, srv, tt.id, tt.secret, tt.form)
			require.Equal(t, tt.status, resp.StatusCode)
			var e struct {
				Error string `json:"error"`
			}
			decode(t, resp, &e)
			assert.Equal(t, tt.code, e.Error)
		})
	}

	t.Run("no client credentials", func(t *testing.T) {
		resp, err := hc.Post(srv.URL+"/api/oauth/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=client_credentials"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
		drain(resp)
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := hc.Get(srv.URL + "/api/oauth/token")
		require.NoError(t, err)
		assert.Equal(t, "POST", resp.Header.Get("Allow"))
		requireAPIError(t, resp, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	})
	t.Run("revoke without token", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/oauth/revoke", strings.NewReader("token_type_hint=access_token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(srv.ClientID, srv.ClientSecret)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		drain(resp)
	})
	t.Run("unknown bearer token", func(t *testing.T) {
		resp := bearerGet(t, hc, exportsURL(srv, ""), "not-a-token")
		requireAPIError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	})
	assert.Zero(t, srv.TokenGrants())
}
