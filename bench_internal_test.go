package atlas

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceHash is RFC 7616's H(), written plainly, for checking the signer's stack buffers.
func referenceHash(algorithm, s string) string {
	if strings.HasPrefix(strings.ToUpper(algorithm), "SHA-256") {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signedFor signs one GET of target with a challenge learned from wwwAuthenticate and
// returns the header's parameters.
func signedFor(t *testing.T, wwwAuthenticate, target string) map[string]string {
	t.Helper()
	chal := parseChallenge([]string{wwwAuthenticate})
	require.NotNil(t, chal)
	d := newDigestAuth("pub", seal("priv"), nil)
	st := d.state.get()
	st.learn(d.user, chal)
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(t, err)
	h := d.sign(st, st.current(), req)
	require.Len(t, h, 1)
	scheme, params, _ := strings.Cut(h[0], " ")
	require.Equal(t, "Digest", scheme)
	p := map[string]string{}
	for k, v := range authParams(params) {
		p[k] = v
	}
	return p
}

// TestDigestSignMatchesRFC7616 checks the signer's response against the RFC's formula for
// each algorithm it accepts, with and without qop, on a URI with a query.
func TestDigestSignMatchesRFC7616(t *testing.T) {
	const target = "https://cloud.example/api/atlas/v2/groups/g/clusters?itemsPerPage=500"
	const uri = "/api/atlas/v2/groups/g/clusters?itemsPerPage=500"
	for _, alg := range []string{"", "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"} {
		for _, qop := range []bool{true, false} {
			if !qop && strings.HasSuffix(alg, "-sess") {
				continue // RFC 7616 requires qop; without it the cnonce a -sess hash needs is not sent
			}
			www := `Digest realm="MMS Public API", nonce="n0nce", opaque="0paque"`
			if alg != "" {
				www += ", algorithm=" + alg
			}
			if qop {
				www += `, qop="auth,auth-int"`
			}
			p := signedFor(t, www, target)
			ha1 := referenceHash(alg, "pub:MMS Public API:priv")
			if strings.HasSuffix(strings.ToLower(alg), "-sess") {
				ha1 = referenceHash(alg, ha1+":n0nce:"+p["cnonce"])
			}
			ha2 := referenceHash(alg, "GET:"+uri)
			want := referenceHash(alg, ha1+":n0nce:"+ha2)
			if qop {
				assert.Equal(t, "00000001", p["nc"], alg)
				assert.Len(t, p["cnonce"], 16, alg)
				want = referenceHash(alg, ha1+":n0nce:"+p["nc"]+":"+p["cnonce"]+":auth:"+ha2)
			} else {
				assert.NotContains(t, p, "nc", alg)
			}
			assert.Equal(t, want, p["response"], "algorithm %q, qop %v", alg, qop)
			assert.Equal(t, uri, p["uri"])
			assert.Equal(t, "pub", p["username"])
			assert.Equal(t, "0paque", p["opaque"])
			assert.Equal(t, alg, p["algorithm"])
		}
	}
}

// BenchmarkDigestSign is the per-request cost of digest auth once a challenge is held.
func BenchmarkDigestSign(b *testing.B) {
	d := newDigestAuth("pub", seal("priv"), nil)
	st := d.state.get()
	st.learn(d.user, parseChallenge([]string{`Digest realm="MMS Public API", nonce="n0nce", algorithm=MD5, qop="auth", opaque="0paque"`}))
	req, _ := http.NewRequest(http.MethodGet, "https://cloud.example/api/atlas/v2/groups/5f1e2d3c4b5a697887766554/clusters/c/backup/exports/6a0b1c2d3e4f5a6b7c8d9e0f", nil)
	chal := st.current()
	b.ReportAllocs()
	for b.Loop() {
		_ = d.sign(st, chal, req)
	}
}

// TestDecodeReservesPageResults checks that sizing a page's results before decoding changes
// nothing a caller sees: the same jobs, nil Results when the page has none, and null still
// decoded as no page.
func TestDecodeReservesPageResults(t *testing.T) {
	decode := func(body string) *ExportJobPage {
		var out *ExportJobPage
		require.NoError(t, decodeJSON([]byte(body), &out, pageShape))
		return out
	}
	p := decode(`{"results":[{"id":"a"},{"id":"b"}],"totalCount":2}`)
	require.Len(t, p.Results, 2)
	assert.Equal(t, 2, cap(p.Results), "sized once, from the pre-scan")
	assert.Equal(t, "b", p.Results[1].ID)
	assert.Nil(t, decode(`{"totalCount":0}`).Results)
	assert.Nil(t, decode(`{"results":null}`).Results)
	assert.Nil(t, decode(`null`))
}

// TestDecodedValuesDoNotAliasThePooledBuffer checks that a document decoded from a pooled
// buffer keeps its values after the buffer is handed back and overwritten by the next body.
func TestDecodedValuesDoNotAliasThePooledBuffer(t *testing.T) {
	var bufs bodyBuffers
	p := bufs.get()
	body := `{"results":[{"id":"6a0b1c2d3e4f5a6b7c8d9e0f","prefix":"/exports/x"}]}`
	data, err := bufs.read(p, strings.NewReader(body), int64(len(body)), MaxResponseBytes, false)
	require.NoError(t, err)
	var out *ExportJobPage
	require.NoError(t, decodeJSON(data, &out, pageShape))
	for i := range data {
		data[i] = 'x'
	}
	bufs.put(p)
	assert.Equal(t, "6a0b1c2d3e4f5a6b7c8d9e0f", out.Results[0].ID)
	assert.Equal(t, "/exports/x", out.Results[0].Prefix)
}

// benchPage is a 500-job page as the API sends it, every field of every job set.
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	p := ExportJobPage{TotalCount: maxPageResults}
	for i := range maxPageResults {
		created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		p.Results = append(p.Results, &ExportJob{
			ID: fmt.Sprintf("6a0b1c2d3e4f5a6b7c8d%04x", i), SnapshotID: "64b1c2d3e4f5a6b7c8d9e0f1",
			ExportBucketID: "64b1c2d3e4f5a6b7c8d9e0f2", Prefix: "/exports/bench-cluster/2026-01-02T0304Z",
			State: ExportStateSuccessful, ExportStatus: &ExportStatus{ExportedCollections: 12, TotalCollections: 12},
			CreatedAt: created, FinishedAt: created.Add(time.Hour),
			Components: []ExportComponent{{ExportID: "a", ReplicaSetName: "rs0"}, {ExportID: "b", ReplicaSetName: "rs1"}},
			CustomData: []Label{{Key: "team", Value: "backup"}},
			Links:      []Link{{Href: "https://cloud.mongodb.com/api/atlas/v2/groups/x", Rel: "self"}},
		})
	}
	b, err := json.Marshal(p)
	require.NoError(tb, err)
	return b
}

// BenchmarkPageDecode splits a 500-job page's decode: the shape pre-scan alone, encoding/json's
// own validity scan (which Unmarshal runs first) for scale, and the whole decodeJSON.
func BenchmarkPageDecode(b *testing.B) {
	page := benchPage(b)
	b.Run("shape-scan", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if _, err := pageShape.scan(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-valid", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if !json.Valid(page) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("decodeJSON", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var out *ExportJobPage
			if err := decodeJSON(page, &out, pageShape); err != nil {
				b.Fatal(err)
			}
		}
	})
}
