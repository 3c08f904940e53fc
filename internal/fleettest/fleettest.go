// Package fleettest runs the test binary as a fleet of processes that start their work at the
// same moment, for the token caches' tests of runs sharing one grant across processes. It is
// the harness of the root module's file-cache fleet and of redistoken's.
package fleettest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Run starts n processes of the running test binary with args, and env added to this process's
// environment. It waits until each has called Ready, releases them together, and asserts that
// each exits with status 0. A process still running when the test ends is killed.
func Run(t *testing.T, n int, env []string, args ...string) {
	t.Helper()
	children := make([]*exec.Cmd, n)
	gates := make([]io.WriteCloser, n)
	for i := range children {
		child := exec.Command(os.Args[0], args...)
		child.Env = append(os.Environ(), env...)
		child.Stderr = os.Stderr
		out, err := child.StdoutPipe()
		require.NoError(t, err)
		gates[i], err = child.StdinPipe()
		require.NoError(t, err)
		require.NoError(t, child.Start())
		t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
		children[i] = child
		line, err := bufio.NewReader(out).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "ready\n", line, "child %d", i)
	}
	// Every child is up and waiting on its stdin: open the gates together.
	for _, gate := range gates {
		require.NoError(t, gate.Close())
	}
	for i, child := range children {
		assert.NoError(t, child.Wait(), "child %d", i)
	}
}

// Ready is a child's side of Run: it tells the parent it is ready, then waits until the parent
// releases every child. Call it once the process is set up, just before the work it measures.
func Ready() {
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}
