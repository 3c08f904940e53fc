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
	"sync"
	"sync/atomic"

	"github.com/icholy/digest"
)

// maxChallengeBytes caps how much of a 401's body is read, by icholy/digest and by the client.
const maxChallengeBytes = 4 << 10

// digestAuth signs requests with HTTP digest (RFC 7616) through icholy/digest's Transport,
// which learns a challenge once per host and signs every later request with it: one round trip
// per call in steady state. What it lacks is added around it:
//   - beneath it, capped401: it reads a challenge's body to the end, which may never come;
//   - above it, a gate: it sends every call unsigned until it holds a challenge, so a fresh
//     client's burst of first calls would fetch one challenge each;
//   - one more attempt when its answer is still a stale 401: it answers one stale nonce itself;
//   - findChallenge: a challenge it cannot parse would fail the call with the library's error
//     instead of the 401 the server sent.
//
// The Transport is kept sealed: its Password field is the private key.
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
	})}
}

// RoundTrip implements http.RoundTripper. The Transport signs clones of req, never req itself.
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
	if c, err := findChallenge(resp.Header); err != nil || !c.Stale {
		return resp, nil // the credentials were refused
	}
	// The nonce went stale again before the Transport's answer to it arrived. It kept the first
	// new nonce it was given, not this one: answering costs up to two more requests.
	again, ok := replayable(req)
	if !ok {
		return resp, nil
	}
	discard(resp)
	return d.signer.get().RoundTrip(again)
}

// challengeGate makes the concurrent first calls of a fresh client wait for the one fetching
// the challenge, each as long as its own context allows. It opens for good once a fetch is
// answered; when a fetch fails without an answer, the next caller in fetches instead.
type challengeGate struct {
	open     atomic.Bool // read alone on every call once open
	mu       sync.Mutex
	fetching chan struct{} // closed when the fetch in flight ends; nil when none
}

// enter returns when the gate is open, or with fetching set when the caller is to fetch the
// challenge and then call leave, or with ctx's error when ctx ends first.
func (g *challengeGate) enter(ctx context.Context) (fetching bool, err error) {
	for !g.open.Load() {
		g.mu.Lock()
		wait, fetch := g.fetching, false
		if wait == nil && !g.open.Load() {
			g.fetching, fetch = make(chan struct{}), true
		}
		g.mu.Unlock()
		if wait == nil {
			return fetch, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return false, nil
}

// leave ends a fetch, opening the gate when the server answered it.
func (g *challengeGate) leave(answered bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if answered {
		g.open.Store(true)
	}
	close(g.fetching)
	g.fetching = nil
}

// capped401 caps how much of a 401's body can be read: icholy/digest reads a challenge's body
// to EOF before answering it, and a hostile server's never ends.
type capped401 struct{ base http.RoundTripper }

func (t capped401) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		resp.Body = &cappedBody{Reader: io.LimitReader(resp.Body, maxChallengeBytes), body: resp.Body}
	}
	return resp, err
}

// cappedBody is a 401's body, read up to maxChallengeBytes, and read as empty once closed:
// icholy/digest returns a 401 without a usable challenge with the body it drained and closed.
type cappedBody struct {
	io.Reader
	body   io.Closer
	closed bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, io.EOF
	}
	return b.Reader.Read(p)
}

func (b *cappedBody) Close() error {
	b.closed = true
	return b.body.Close()
}

// findChallenge is icholy/digest's FindChallenge for the challenges sign can answer. Whatever
// it cannot use is ErrNoChallenge, on which the Transport returns the 401 the server sent, and
// the client makes it an *APIError matching ErrUnauthorized.
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
