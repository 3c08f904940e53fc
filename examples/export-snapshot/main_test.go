package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: the -demo fake and the client's
// connections must all end when the program's run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
