package atlas

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Digest's pure parts, without a server: reading challenges and signing requests.
// digest_test.go has the behaviour on the wire.

func TestParseChallenge(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		values []string
		want   *challenge
	}{
		"atlas": {[]string{`Digest realm="MMS Public API", domain="", nonce="q1w/E+r=", algorithm=MD5, qop="auth", stale=false, opaque="op"`},
			&challenge{realm: "MMS Public API", nonce: "q1w/E+r=", algorithm: "MD5", opaque: "op", qopAuth: true}},
		"tokens, any case": {[]string{`digest REALM=r, Nonce=n, QOP=AUTH, stale=TRUE`},
			&challenge{realm: "r", nonce: "n", qopAuth: true, stale: true}},
		"qop list": {[]string{`Digest realm="r", nonce="n", qop="auth-int, auth"`},
			&challenge{realm: "r", nonce: "n", qopAuth: true}},
		"qop without auth": {[]string{`Digest realm="r", nonce="n", qop="auth-int"`},
			&challenge{realm: "r", nonce: "n"}},
		"escapes and commas in quotes": {[]string{`Digest realm="a \"b\", \\c", nonce="n"`},
			&challenge{realm: `a "b", \c`, nonce: "n"}},
		"after another scheme": {[]string{`Basic realm="x"`, `Negotiate`, `Digest realm="r", nonce="n"`},
			&challenge{realm: "r", nonce: "n"}},
		"the first that can be answered": {[]string{`Digest realm="r", nonce="n1", algorithm=SHA-512-256`, `Digest realm="r", nonce="n2", algorithm=SHA-256-sess`},
			&challenge{realm: "r", nonce: "n2", algorithm: "SHA-256-sess", sha256: true, sess: true}},
		"no realm":           {[]string{`Digest nonce="n"`}, nil},
		"no nonce":           {[]string{`Digest realm="r", nonce=""`}, nil},
		"unknown algorithm":  {[]string{`Digest realm="r", nonce="n", algorithm=SHA-1`}, nil},
		"scheme alone":       {[]string{`Digest`}, nil},
		"other schemes":      {[]string{`Basic realm="r", nonce="n"`, `Bearer realm="r"`}, nil},
		"unterminated quote": {[]string{`Digest realm="r, nonce="n`}, nil},
		"garbage":            {[]string{`Digest ,,=,"=`, ``, `  `}, nil},
		"none":               {nil, nil},
	} {
		assert.Equal(t, tt.want, parseChallenge(tt.values), name)
	}
}

func TestAuthParams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want map[string]string
	}{
		{`a=1, b="two, three", c = "x\"y\\"`, map[string]string{"a": "1", "b": "two, three", "c": `x"y\`}},
		{` ,, a=1,,b=2 ,`, map[string]string{"a": "1", "b": "2"}},
		{`a=, b=""`, map[string]string{"a": "", "b": ""}},
		{`a="unterminated, b=2`, map[string]string{"a": "unterminated, b=2"}},
		{`a="x"b=2`, map[string]string{"a": "x", "b": "2"}},
		{`novalue`, map[string]string{}},
		{`a=1, novalue`, map[string]string{"a": "1"}},
		{``, map[string]string{}},
	} {
		assert.Equal(t, tt.want, maps.Collect(authParams(tt.in)), tt.in)
	}
	for range authParams(`a=1, b=2`) {
		break // a caller that stops early stops the iteration
	}
}

// digestResponse is this test's own computation of a digest response (RFC 7616 section
// 3.4.1), independent of digest.go.
func digestResponse(algorithm, user, realm, password, method, uri, nonce, nc, cnonce string, qopAuth bool) string {
	h := func(s string) string {
		if strings.HasPrefix(algorithm, "SHA-256") {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:])
		}
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	ha1 := h(user + ":" + realm + ":" + password)
	if strings.HasSuffix(algorithm, "-sess") {
		ha1 = h(ha1 + ":" + nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	if !qopAuth {
		return h(ha1 + ":" + nonce + ":" + ha2) // RFC 2069's form, for a challenge without qop
	}
	return h(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
}

func TestDigestSignAgreesWithRFC7616(t *testing.T) {
	t.Parallel()
	// The example of RFC 7616 section 3.9.1 checks the test's own computation first.
	const (
		realm  = "http-auth@example.org"
		nonce  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
	)
	rfc := func(algorithm string) string {
		return digestResponse(algorithm, "Mufasa", realm, "Circle of Life", "GET", "/dir/index.html", nonce,
			"00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", true)
	}
	require.Equal(t, "8ca523f5e9506fed4657c9700eebdbec", rfc("MD5"))
	require.Equal(t, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", rfc("SHA-256"))

	// The client answers the RFC's challenges, and the variants it supports, as computed.
	for _, tt := range []struct {
		algorithm, qop string
	}{{"MD5", "auth, auth-int"}, {"SHA-256", "auth, auth-int"}, {"MD5-sess", "auth"}, {"SHA-256-sess", "auth"}, {"MD5", ""}} {
		t.Run(tt.algorithm+" "+tt.qop, func(t *testing.T) {
			header := `Digest realm="` + realm + `", algorithm=` + tt.algorithm + `, nonce="` + nonce + `", opaque="` + opaque + `"`
			if tt.qop != "" {
				header += `, qop="` + tt.qop + `"`
			}
			chal := parseChallenge([]string{header})
			require.NotNil(t, chal)
			d := newDigestAuth("Mufasa", seal("Circle of Life"), nil)
			st := d.state.get()
			require.Same(t, chal, st.prepare(d.user, chal))
			st.adopt(chal)
			req := httptest.NewRequest("GET", "https://www.example.org/dir/index.html", nil)

			for _, nc := range []string{"00000001", "00000002"} {
				auth, ok := strings.CutPrefix(d.sign(st, st.chal, req)[0], "Digest ")
				require.True(t, ok)
				p := maps.Collect(authParams(auth))
				assert.Equal(t, "Mufasa", p["username"])
				assert.Equal(t, realm, p["realm"])
				assert.Equal(t, nonce, p["nonce"])
				assert.Equal(t, opaque, p["opaque"])
				assert.Equal(t, "/dir/index.html", p["uri"])
				assert.Equal(t, tt.algorithm, p["algorithm"])
				if tt.qop == "" {
					assert.NotContains(t, p, "qop")
				} else {
					assert.Equal(t, "auth", p["qop"])
					assert.Equal(t, nc, p["nc"], "nonce counts rise")
					assert.Len(t, p["cnonce"], 16)
				}
				want := digestResponse(tt.algorithm, "Mufasa", realm, "Circle of Life", "GET", "/dir/index.html", nonce, p["nc"], p["cnonce"], tt.qop != "")
				assert.Equal(t, want, p["response"])
			}
		})
	}
}

// FuzzParseChallenge feeds WWW-Authenticate values: never a panic, and a challenge returned
// has what signing needs.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Digest realm="MMS Public API", domain="", nonce="q1w/E+r=", algorithm=MD5, qop="auth", stale=false, opaque="op"`,
		`Digest realm="a \"b\"", nonce=n, qop="auth-int, auth", algorithm=SHA-256-sess`,
		`Digest realm="r, nonce="n`,
		`Basic realm="x"`,
		`Digest ,,=,"=\`,
	} {
		f.Add(s, `Digest realm="r", nonce="n"`)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c := parseChallenge([]string{a, b})
		if c == nil {
			return
		}
		if c.realm == "" || c.nonce == "" {
			t.Fatalf("a challenge without realm or nonce: %#v", c)
		}
		switch strings.ToUpper(c.algorithm) {
		case "", "MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS":
		default:
			t.Fatalf("a challenge with an algorithm the client cannot sign: %q", c.algorithm)
		}
	})
}

// BenchmarkDigestSign is the per-request cost of digest auth once a challenge is held.
func BenchmarkDigestSign(b *testing.B) {
	d := newDigestAuth("pub", seal("priv"), nil)
	st := d.state.get()
	st.adopt(st.prepare(d.user, parseChallenge([]string{`Digest realm="MMS Public API", nonce="n0nce", algorithm=MD5, qop="auth", opaque="0paque"`})))
	req, _ := http.NewRequest(http.MethodGet, "https://cloud.example/api/atlas/v2/groups/5f1e2d3c4b5a697887766554/clusters/c/backup/exports/6a0b1c2d3e4f5a6b7c8d9e0f", nil)
	chal := st.chal
	b.ReportAllocs()
	for b.Loop() {
		_ = d.sign(st, chal, req)
	}
}
