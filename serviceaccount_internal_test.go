package atlas

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The service account's pure policies, without a server: when to renew, how to read
// expires_in, what counts as a token. serviceaccount_test.go has the behaviour on the wire.

func TestRenewAt(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		lifetime, want time.Duration
	}{
		{time.Hour, 59 * time.Minute},              // Atlas's tokens: a minute before expiry
		{10 * time.Minute, 9 * time.Minute},        // a minute before
		{2 * time.Minute, 90 * time.Second},        // short-lived: a quarter of the lifetime before
		{40 * time.Second, minGrantInterval},       // never sooner than minGrantInterval...
		{10 * time.Second, minGrantInterval},       // ...even after the token expired
		{0, minGrantInterval},                      // no usable lifetime
		{untilRefused, untilRefused - time.Minute}, // no expires_in: until the API refuses it
		{365 * 24 * time.Hour, 365*24*time.Hour - time.Minute},
	} {
		assert.Equal(t, start.Add(tt.want), renewAt(start, tt.lifetime), "lifetime %v", tt.lifetime)
	}
}

func TestParseExpiresIn(t *testing.T) {
	t.Parallel()
	const year = 365 * 24 * time.Hour
	for _, tt := range []struct {
		raw  string
		want time.Duration
		ok   bool
	}{
		{"", untilRefused, true}, // absent
		{"null", untilRefused, true},
		{"3600", time.Hour, true},
		{`"3600"`, time.Hour, true}, // some servers send a string
		{"3599.9", 3599 * time.Second, true},
		{"1e12", year, true}, // capped at a year
		{`"+Inf"`, year, true},
		{"0", 0, true}, // no usable lifetime: kept minGrantInterval
		{"-5", 0, true},
		{`"-5"`, 0, true},
		{"0.4", 0, true},
		{`"NaN"`, 0, true},
		{`"soon"`, 0, false},
		{`""`, 0, false},
		{"true", 0, false},
		{"{}", 0, false},
		{"[3600]", 0, false},
		{"1e400", 0, false}, // out of float64's range
	} {
		var raw json.RawMessage
		if tt.raw != "" {
			raw = json.RawMessage(tt.raw)
		}
		got, ok := parseExpiresIn(raw)
		assert.Equal(t, tt.ok, ok, "expires_in %s", tt.raw)
		assert.Equal(t, tt.want, got, "expires_in %s", tt.raw)
	}
}

func TestParseTokenAnswer(t *testing.T) {
	t.Parallel()
	const tok = "canary-token-19fe"
	for _, tt := range []struct {
		body     string
		lifetime time.Duration // for an answer that is a token
		why      string        // for one that is not: what the error says
	}{
		{`{"access_token":"` + tok + `","token_type":"Bearer","expires_in":3600}`, time.Hour, ""},
		{`{"access_token":"` + tok + `","token_type":"bearer","expires_in":"60"}`, time.Minute, ""},
		{`{"access_token":"` + tok + `","token_type":"BEARER","scope":"x","refresh_token":"r"}`, untilRefused, ""},
		{`{"access_token":"` + tok + `"}`, untilRefused, ""}, // token_type is optional here
		{`<html>Sign in</html>`, 0, "is not a token document"},
		{`"` + tok + `"`, 0, "is not a token document"},
		{`{"access_token":42}`, 0, "is not a token document"},
		{`{"access_token":"` + tok + `"} trailing`, 0, "is not a token document"},
		{``, 0, "is not a token document"},
		{`null`, 0, "holds no access_token"},
		{`{}`, 0, "holds no access_token"},
		{`{"token_type":"bearer","expires_in":3600}`, 0, "holds no access_token"},
		{`{"access_token":"` + tok + `","token_type":"mac"}`, 0, "is not a bearer token"},
		{`{"access_token":"` + tok + `\r\nX-Evil: 1"}`, 0, "control character"},
		{`{"access_token":"` + tok + `\u0000"}`, 0, "control character"},
		{`{"access_token":"` + tok + `","expires_in":"` + tok + `"}`, 0, "expires_in that is not a number"},
	} {
		b, lifetime, err := parseTokenAnswer([]byte(tt.body))
		if tt.why == "" {
			require.NoError(t, err, tt.body)
			assert.Equal(t, tok, b.token)
			assert.Equal(t, []string{"Bearer " + tok}, b.header)
			assert.Equal(t, tt.lifetime, lifetime, tt.body)
			continue
		}
		assert.Nil(t, b, tt.body)
		require.ErrorIs(t, err, ErrInvalidResponse, tt.body)
		var grantErr *GrantError
		require.ErrorAs(t, err, &grantErr)
		assert.False(t, grantErr.Temporary(), "an answer that is no token is not worth asking again at once")
		assert.Contains(t, err.Error(), tt.why)
		assert.NotContains(t, err.Error(), tok)
	}
}

// FuzzParseTokenAnswer feeds the token endpoint's answer: never a panic, never a nil token
// with a nil error, and never an error that quotes the answer's access_token or expires_in.
func FuzzParseTokenAnswer(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"t0k3n","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"t0k3n","expires_in":"3600"}`,
		`{"access_token":"t0k3n","expires_in":"s3cr3t-value"}`,
		`{"access_token":"t0k3n","token_type":"mac"}`,
		`{"access_token":"a\nb"}`,
		`{"expires_in":-1}`,
		`<html></html>`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	// Every text parseTokenAnswer can say of its own: a value found in one of them is not a
	// quote of the answer.
	var fixed strings.Builder
	for _, s := range []string{`x`, `{}`, `{"access_token":"t","token_type":"mac"}`, `{"access_token":"\n"}`, `{"access_token":"t","expires_in":"x"}`} {
		_, _, err := parseTokenAnswer([]byte(s))
		require.Error(f, err)
		fixed.WriteString(err.Error() + "\n")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, lifetime, err := parseTokenAnswer(body)
		if err == nil {
			if tok == nil || tok.token == "" || strings.ContainsAny(tok.token, "\r\n\x00") || lifetime < 0 {
				t.Fatalf("accepted %q as token %#v, lifetime %v", body, tok, lifetime)
			}
			return
		}
		if tok != nil {
			t.Fatalf("both a token and an error: %v", err)
		}
		if !errors.Is(err, ErrInvalidResponse) {
			t.Fatalf("%v does not match ErrInvalidResponse", err)
		}
		var ans tokenAnswer
		_ = json.Unmarshal(body, &ans)
		msg := err.Error()
		for _, v := range []string{ans.AccessToken, string(ans.ExpiresIn), strings.Trim(string(ans.ExpiresIn), `"`)} {
			if v != "" && strings.Contains(msg, v) && !strings.Contains(fixed.String(), v) {
				t.Fatalf("error %q quotes %q of the answer", msg, v)
			}
		}
	})
}
