package atlas

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// recorder is a caller's transport that records every request it is given and answers it
// itself: a token from the token endpoint, 401 to the first refuse requests to the API, 200
// to the others.
type recorder struct {
	mu      sync.Mutex
	grants  int
	seen    []*http.Request
	refuse  int
	headers []http.Header // each request's header as it arrived
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req)
	r.headers = append(r.headers, req.Header.Clone())
	status, body := http.StatusOK, "{}"
	switch {
	case req.URL.Path == tokenPath:
		r.grants++
		body = fmt.Sprintf(`{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, r.grants)
	case r.refuse > 0:
		r.refuse--
		status = http.StatusUnauthorized
	}
	r.mu.Unlock()
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Request: req,
		Header: http.Header{"Content-Type": {"application/json"}}}, nil
}

// No auth transport modifies the request it is given (net/http's RoundTripper contract): the
// caller's transport sees clones carrying Authorization, and the original stays as it was,
// through a 401 and its repeat too.
func TestAuthSendsAClone(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	for name, tt := range map[string]struct {
		tokens func(base http.RoundTripper) tokenProvider
		refuse int
	}{
		"access token": {func(http.RoundTripper) tokenProvider { return staticToken{b: seal(newBearer("tok-static"))} }, 0},
		"token source": {func(http.RoundTripper) tokenProvider {
			return &userTokenSource{src: seal(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-source"}))}
		}, 0},
		"service account": {func(base http.RoundTripper) tokenProvider {
			return newServiceAccount(credentials{user: "id", password: seal("secret"), now: clock}, "http://127.0.0.1:1",
				[]string{"test"}, base, time.Minute, nil)
		}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{refuse: tt.refuse}
			auth := &bearerAuth{base: rec, tokens: tt.tokens(rec)}
			// The first token is taken (the service account grants it), then the clock moves,
			// so that the 401 is for a token old enough to drop.
			_, err := auth.tokens.token(t.Context())
			require.NoError(t, err)
			mu.Lock()
			now = now.Add(minGrantInterval)
			mu.Unlock()
			orig, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://127.0.0.1:1/api/atlas/v2/x",
				strings.NewReader(`{"a":1}`))
			require.NoError(t, err)
			orig.Header.Set("Accept", "application/vnd.atlas.2023-01-01+json")
			before := orig.Header.Clone()
			resp, err := auth.RoundTrip(orig)
			require.NoError(t, err)
			discard(resp)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, before, orig.Header, "the original request is untouched")
			rec.mu.Lock()
			defer rec.mu.Unlock()
			var api []int
			for i, r := range rec.seen {
				if r.URL.Path != tokenPath {
					api = append(api, i)
				}
			}
			require.Len(t, api, 1+tt.refuse)
			for _, i := range api {
				assert.NotSame(t, orig, rec.seen[i], "the transport sees a clone")
				assert.True(t, strings.HasPrefix(rec.headers[i].Get("Authorization"), "Bearer tok-"))
			}
			if tt.refuse > 0 {
				assert.NotSame(t, rec.seen[api[0]], rec.seen[api[1]], "the repeat is another clone")
				assert.Equal(t, []string{"Bearer tok-1"}, rec.headers[api[0]]["Authorization"])
				assert.Equal(t, []string{"Bearer tok-2"}, rec.headers[api[1]]["Authorization"], "with a new token")
			}
		})
	}
}
