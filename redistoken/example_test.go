package redistoken_test

import (
	"context"
	"log"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/redistoken"
)

// A fleet's runs share one service-account token through Redis: the first run grants and
// stores it, the others load it until it is about to expire.
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		ContextTimeoutEnabled: true, // let the cache's deadlines reach the sockets
	})
	defer rdb.Close()

	client, err := atlas.NewClientFromEnv(atlas.WithTokenCache(redistoken.New(rdb)))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	defer client.Close(ctx) // revokes nothing the cache shares
	if _, err := client.Snapshots.Latest(ctx, os.Getenv("MONGODB_ATLAS_PROJECT_ID"), "Cluster0"); err != nil {
		log.Fatal(err)
	}
}
