package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

// fakeEnv, when set, makes the test binary run the fake server instead of the benchmarks:
// TestMain starts the binary itself again with it, so the server lives in another process
// and only client work is counted in this one.
const fakeEnv = "ATLAS_BENCH_FAKE_SERVER"

var (
	fake  fakeproc.Info
	token string // a bearer token granted by the fake, for the floor and WithAccessToken
	// control reads the fake's counters on its separate port, never on the measured connections.
	control = &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		if err := fakeproc.Run(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "fake server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	stop, err := startFake()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the fake server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startFake starts this binary as the fake server, reads its Info line and grants the token.
// The returned func closes the child's stdin, which ends it, and kills it if it lingers.
func startFake() (stop func(), err error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fakeEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &fake)
	}
	if err == nil {
		token, err = grantToken()
	}
	if err != nil {
		stop()
		return nil, err
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return stop, nil
}

// grantToken asks the fake's token endpoint for one access token, as a user holding a
// static token would have done beforehand.
func grantToken() (string, error) {
	req, err := http.NewRequest(http.MethodPost, fake.URL+"/api/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(fake.ClientID, fake.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := control.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token grant: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken, nil
}

// stats reads the fake's counters.
func stats(tb testing.TB) fakeproc.Stats {
	tb.Helper()
	resp, err := control.Get(fake.ControlURL + "/stats")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var s fakeproc.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// getPath is the Get benchmarks' request path; pageQuery asks for the whole page cluster.
var (
	getPath   = "/api/atlas/v2/groups/" + fakeproc.GroupID + "/clusters/" + fakeproc.Cluster + "/backup/exports/" + fakeproc.ExportID
	pagePath  = "/api/atlas/v2/groups/" + fakeproc.GroupID + "/clusters/" + fakeproc.PageCluster + "/backup/exports"
	pageQuery = fmt.Sprintf("?itemsPerPage=%d", fakeproc.PageJobs)
)

// floorTransport is what a plain net/http user has: http.DefaultTransport's settings, in a
// copy of its own so that no benchmark shares idle connections with another.
func floorTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// floorClient is the floor's *http.Client over rt: what a careful net/http user builds, with
// a Timeout, since without one a server that stalls holds a call forever. The SDK bounds each
// attempt the same way (DefaultAttemptTimeout), so both pay what a deadline costs in net/http.
func floorClient(rt http.RoundTripper) *http.Client {
	return &http.Client{Transport: rt, Timeout: atlas.DefaultAttemptTimeout}
}

// floorGet is the floor: one GET with a static bearer header, decoded by encoding/json into
// the same struct the SDK returns.
func floorGet(ctx context.Context, hc *http.Client, target string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", atlas.MediaType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// auth modes of the SDK.
const (
	modeBearer         = "bearer"
	modeServiceAccount = "service-account"
	modeDigest         = "digest"
)

// newSDK builds an SDK client for mode against the fake; hc nil means the SDK's default
// transport.
func newSDK(tb testing.TB, mode string, hc *http.Client) *atlas.Client {
	tb.Helper()
	opts := []atlas.Option{atlas.WithBaseURL(fake.URL)}
	if hc != nil {
		opts = append(opts, atlas.WithHTTPClient(hc))
	}
	switch mode {
	case modeBearer:
		opts = append(opts, atlas.WithAccessToken(token))
	case modeServiceAccount:
		opts = append(opts, atlas.WithServiceAccount(fake.ClientID, fake.ClientSecret))
	case modeDigest:
		opts = append(opts, atlas.WithDigest(fake.PublicKey, fake.PrivateKey))
	default:
		tb.Fatalf("unknown mode %q", mode)
	}
	c, err := atlas.NewClient(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
