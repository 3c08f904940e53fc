package atlastest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: the fake starts a serve loop
// per server and parks handlers in fault delays, and Close must end all of them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
