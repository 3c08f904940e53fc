package redistoken_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/fleettest"
	"github.com/atlas-exports/atlas/redistoken"
)

const (
	fleetClientID = "mdb_sa_id_0123456789abcdef01234567"
	fleetSecret   = "canary-client-secret-redis-7d21"
	fleetGroupID  = "5f1d2e3c4b5a69788796a5b4"
	fleetCluster  = "Cluster0"
	fleetExportID = "6a0b1c2d3e4f5a6b7c8d9e0f"
)

// childEnv selects the child mode of the test binary (see TestMain): the fake's URL and the key
// prefix, separated by a newline.
const childEnv = "ATLAS_TEST_REDIS_FLEET"

// TestThreeProcessesOneGrant is issue 20's fleet measure: three processes, started at once on
// one Redis, each a run of a tool (new Client with the cache, one call, Close), grant one token.
func TestThreeProcessesOneGrant(t *testing.T) {
	srv := atlastest.NewServer(atlastest.WithServiceAccount(fleetClientID, fleetSecret))
	t.Cleanup(srv.Close)
	srv.AddExportJob(fleetGroupID, fleetCluster, &atlas.ExportJob{ID: fleetExportID, State: atlas.ExportStateQueued})
	rdb, prefix := setup(t)

	env := []string{childEnv + "=" + srv.URL + "\n" + prefix}
	if os.Getenv("REDIS_URL") == "" {
		env = append(env, "ATLAS_REDIS_ADDR="+redisOptions.Addr)
	}
	fleettest.Run(t, 3, env)
	assert.Equal(t, 1, srv.TokenGrants(), "three processes, one grant")
	assert.Zero(t, srv.TokenRevocations(), "Close leaves the shared token alive")

	sum := sha256.Sum256([]byte(srv.URL + "\n" + fleetClientID)) // the client's key: never the secret
	stored, err := redistoken.New(rdb, redistoken.WithKeyPrefix(prefix)).Load(t.Context(), hex.EncodeToString(sum[:]))
	require.NoError(t, err)
	require.NotNil(t, stored, "the token is in Redis for the next run")
	assert.NotContains(t, stored.AccessToken, fleetSecret)
}

// runChild is one process of TestThreeProcessesOneGrant: it says it is ready, waits for its
// stdin to close, and makes one run. It returns the process's exit code.
func runChild(spec string) int {
	base, prefix, _ := strings.Cut(spec, "\n")
	if _, err := startRedis(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	opts := *redisOptions
	opts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(&opts)
	defer rdb.Close()
	fleettest.Ready()

	ctx := context.Background()
	c, err := atlas.NewClient(atlas.WithBaseURL(base), atlas.WithServiceAccount(fleetClientID, fleetSecret),
		atlas.WithTokenCache(redistoken.New(rdb, redistoken.WithKeyPrefix(prefix))))
	if err == nil {
		_, err = c.Exports.Get(ctx, fleetGroupID, fleetCluster, fleetExportID)
		if cerr := c.Close(ctx); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}
