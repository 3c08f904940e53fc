package atlastest_test

// The fake's path-parameter patterns (internal/pattern) are tested here, with the fake that
// uses them, rather than in a test binary of their own: under -race every test binary costs a
// second at exit.

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/atlas-exports/atlas/internal/pattern"
)

func TestPatternObjectID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"5f4d3c2b1a0f9e8d7c6b5a49": true, "000000000000000000000000": true,
		"5F4D3C2B1A0F9E8D7C6B5A49": false, "5f4d3c2b1a0f9e8d7c6b5a4": false,
		"5f4d3c2b1a0f9e8d7c6b5a490": false, "zzzzzzzzzzzzzzzzzzzzzzzz": false, "": false,
	} {
		assert.Equal(t, want, pattern.ObjectID.MatchString(id), id)
	}
}

func TestPatternClusterName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Cluster0": true, "a": true, "0-a-": true,
		"-a": false, "a_b": false, "a b": false, "": false, "a/b": false,
	} {
		assert.Equal(t, want, pattern.ClusterName.MatchString(name), name)
	}
}
