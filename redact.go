package atlas

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// sealed holds a value where reflection cannot reach it. fmt's %#v, testify's diffs, spew and
// go-cmp walk struct fields and pointers, unexported ones included, but cannot look inside a
// closure: every credential a Client holds, and every token it caches, lives in one.
type sealed[T any] struct{ get func() T }

// seal hides v.
func seal[T any](v T) sealed[T] { return sealed[T]{get: func() T { return v }} }

// Format prints a sealed value as [redacted], whatever the verb.
func (sealed[T]) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// secretForms is a credential in every form a client sends it: as is, query-escaped (a form
// body), and base64 (HTTP Basic, with user the other half of the pair).
func secretForms(user, secret string) []string {
	if secret == "" {
		return nil
	}
	escaped := url.QueryEscape(secret)
	return []string{
		secret, escaped,
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(user) + ":" + escaped)),
		base64.StdEncoding.EncodeToString([]byte(user + ":" + secret)),
	}
}

// redactor replaces each credential a client holds with [redacted]. secrets is called for
// every text, so a token granted since the last call is covered too.
type redactor struct {
	secrets func() []string
}

// redact returns s with every credential, and every extra string, replaced in one pass, the
// longest first where two overlap, and a "[redacted]" already in s (texts are redacted again
// as errors wrap them) kept as it is: replacing one credential after another would find a
// short one again inside an earlier "[redacted]".
func (r redactor) redact(s string, extra ...string) string {
	if r.secrets != nil { // the zero redactor hides only extra
		extra = append(r.secrets(), extra...)
	}
	var found []string
	for _, secret := range extra {
		if secret != "" && strings.Contains(s, secret) {
			found = append(found, secret)
		}
	}
	if len(found) == 0 {
		return s
	}
	// NewReplacer tries its strings in argument order at each position: the marker, then the
	// longest first.
	slices.SortFunc(found, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(found)+2)
	pairs = append(pairs, "[redacted]", "[redacted]")
	for _, secret := range found {
		pairs = append(pairs, secret, "[redacted]")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// error returns err unchanged when its text holds no credential, and otherwise an error with
// the redacted text that still answers errors.Is and errors.As as err does.
func (r redactor) error(err error, extra ...string) error {
	text := err.Error()
	if clean := r.redact(text, extra...); clean != text {
		return &redactedError{text: clean, cause: seal(err)}
	}
	return err
}

// redactedError is an error whose text had a credential in it. The original is kept sealed
// for errors.Is and errors.As only: Unwrap would let a caller print it.
type redactedError struct {
	text  string
	cause sealed[error]
}

// Error returns the redacted text.
func (e *redactedError) Error() string { return e.text }

// Is reports whether the original error matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.cause.get(), target) }

// As finds target in the original error's chain.
func (e *redactedError) As(target any) bool { return errors.As(e.cause.get(), target) }

// shownURL is a URL fit for an error text: scheme, host and path, without user info, query
// or fragment, which can carry credentials.
func shownURL(u *url.URL) string {
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := shown.String()
	if u.RawQuery != "" {
		s += "?…"
	}
	return s
}
