package atlas

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/icholy/digest"
)

// maxChallengeBytes caps how much of a 401's body is read, by icholy/digest and by the client.
const maxChallengeBytes = 4 << 10

// digestAuth signs requests with HTTP digest (RFC 7616) through icholy/digest's Transport,
// which learns a challenge once per host and signs every later request with it: one round trip
// per call in steady state. What it lacks is added around it: capped401 beneath it, a gate
// and one more answer to a stale nonce above it, and findChallenge and sign as its hooks. It is
// kept sealed: its Password field is the private key.
type digestAuth struct {
	signer sealed[*digest.Transport]
	gate   challengeGate
}

func newDigestAuth(user string, password sealed[string], base http.RoundTripper) http.RoundTripper {
	return &digestAuth{signer: seal(&digest.Transport{
		Username:      user,
		Password:      password.get(),
		Transport:     capped401{base: base},
		FindChallenge: findChallenge,
		Digest:        sign,
	}), gate: challengeGate{fetch: make(chan struct{}, 1)}}
}

// RoundTrip implements http.RoundTripper. The Transport sends clones of req, never req itself.
func (d *digestAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	defer closeRequestBody(req) // the Transport sends bodies from GetBody and leaves req's open
	fetching, err := d.gate.enter(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := d.signer.get().RoundTrip(req)
	if fetching {
		d.gate.leave(err == nil)
	}
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	c, err := findChallenge(resp.Header)
	if err != nil || !c.Stale {
		return resp, nil // the credentials were refused
	}
	// The Transport answers one stale nonce, with the nonce it then keeps for every call; under
	// load, with nonces good for few requests, others wear that one out too. So a second stale
	// answer is answered once more, with the nonce it brought, which no other call knows.
	t := d.signer.get()
	cred, err := sign(req, c, digest.Options{Method: req.Method, URI: req.URL.RequestURI(),
		GetBody: req.GetBody, Count: 1, Username: t.Username, Password: t.Password})
	again, ok := replayable(req)
	if err != nil || !ok {
		return resp, nil
	}
	discard(resp)
	again.Header.Set("Authorization", cred.String())
	return t.Transport.RoundTrip(again)
}

// challengeGate makes the concurrent first calls of a fresh client wait for the one fetching
// the challenge, each as long as its own context allows: the Transport sends every call
// unsigned until it holds one, and each would fetch its own. It opens for good once a fetch is
// answered; when a fetch fails without an answer, the next caller in fetches instead.
type challengeGate struct {
	open  atomic.Bool   // read alone on every call once open
	fetch chan struct{} // holds a token while a caller fetches; capacity 1
}

// enter returns once the gate is open, or with fetching set when the caller is to fetch the
// challenge and then call leave, or with ctx's error when ctx ends first.
func (g *challengeGate) enter(ctx context.Context) (fetching bool, err error) {
	if g.open.Load() {
		return false, nil
	}
	select {
	case g.fetch <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if g.open.Load() {
		<-g.fetch // opened while this caller waited
		return false, nil
	}
	return true, nil
}

// leave ends a fetch, opening the gate when the server answered it.
func (g *challengeGate) leave(answered bool) {
	if answered {
		g.open.Store(true)
	}
	<-g.fetch
}

// CloseIdleConnections closes the idle connections of the transport beneath, for Client.Close.
func (d *digestAuth) CloseIdleConnections() { d.signer.get().CloseIdleConnections() }

// capped401 caps how much of a 401's body can be read: icholy/digest reads a challenge's body
// to EOF before answering it, and a hostile server's never ends.
type capped401 struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t capped401) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxChallengeBytes), resp.Body}
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the transport beneath.
func (t capped401) CloseIdleConnections() { closeIdle(t.base) }

// findChallenge is icholy/digest's FindChallenge for the challenges sign can answer. Whatever
// it cannot use is ErrNoChallenge, on which the Transport returns the server's 401 (its body
// drained) instead of failing with a parser's message: the client makes it an *APIError
// matching ErrUnauthorized.
func findChallenge(h http.Header) (*digest.Challenge, error) {
	for _, v := range h.Values("WWW-Authenticate") {
		c, err := digest.ParseChallenge(v)
		if err != nil || c.Realm == "" || c.Nonce == "" {
			continue
		}
		for i, q := range c.QOP {
			c.QOP[i] = strings.TrimSpace(q) // it splits `qop="auth, auth-int"` at the comma only
		}
		plain := *c
		plain.Algorithm, _ = sessHash(c.Algorithm)
		if digest.CanDigest(&plain) {
			return c, nil
		}
	}
	return nil, digest.ErrNoChallenge
}

// sign is icholy/digest's Digest, also answering MD5-sess and SHA-256-sess, which it does not
// know: their H(A1) is H(H(user:realm:password):nonce:cnonce) (RFC 7616 section 3.4.2).
func sign(_ *http.Request, chal *digest.Challenge, o digest.Options) (*digest.Credentials, error) {
	alg, h := sessHash(chal.Algorithm)
	if h == nil {
		return digest.Digest(chal, o)
	}
	sum := func(s string) string {
		hh := h()
		_, _ = io.WriteString(hh, s)
		return hex.EncodeToString(hh.Sum(nil))
	}
	plain := *chal
	plain.Algorithm = alg
	o.Cnonce = rand.Text()
	o.A1 = sum(sum(o.Username+":"+chal.Realm+":"+o.Password) + ":" + chal.Nonce + ":" + o.Cnonce)
	cred, err := digest.Digest(&plain, o)
	if err == nil {
		cred.Algorithm = chal.Algorithm
	}
	return cred, err
}

// sessHash returns the algorithm a -sess one is based on and its hash, or alg and nil when alg
// is not a -sess algorithm sign answers.
func sessHash(alg string) (string, func() hash.Hash) {
	switch strings.ToUpper(alg) {
	case "MD5-SESS":
		return "MD5", md5.New
	case "SHA-256-SESS":
		return "SHA-256", sha256.New
	}
	return alg, nil
}
