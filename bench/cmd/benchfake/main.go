// Command benchfake serves the atlastest fake with the benchmarks' seeded jobs on a loopback
// port, prints its URL, credentials and counter URL as one JSON line, and stops when its
// standard input closes. The benchmarks start the same code in a child process themselves;
// this command is for poking at it by hand: `go run ./cmd/benchfake`, then Ctrl-D.
package main

import (
	"fmt"
	"os"

	"github.com/atlas-exports/atlas/bench/internal/fakeproc"
)

func main() {
	if err := fakeproc.Run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchfake:", err)
		os.Exit(1)
	}
}
