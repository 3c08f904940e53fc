package atlas

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's test run when any goroutine outlives the tests: a leaked
// goroutine in an SDK is one per call in its users' programs. No goroutine is ignored. An
// idle keep-alive connection of a client ends when the test's httptest server closes it, and
// goleak retries for a while before it reports, so tests need only close their servers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
