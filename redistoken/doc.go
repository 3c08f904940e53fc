// Package redistoken is an atlas.TokenCache in Redis: the way a fleet of short-lived runs on
// several machines (cron jobs, CI steps, pods) shares one service-account token instead of
// granting one each.
//
// # Why
//
// Atlas grants about ten service-account tokens a minute for each IP address and client, and a
// service account holds at most 100 live tokens, each valid for an hour. A fleet whose every run
// grants its own token is refused (429 RATE_LIMITED, then 403 "Access Token limit reached") once
// it runs more than that. With a shared cache the fleet grants one token an hour:
//
//	rdb := redis.NewClient(&redis.Options{
//		Addr:                  "redis.internal:6379",
//		ContextTimeoutEnabled: true, // let the Cache's deadlines reach the sockets
//	})
//	defer rdb.Close()
//	client, err := atlas.NewClient(
//		atlas.WithServiceAccount(clientID, clientSecret),
//		atlas.WithTokenCache(redistoken.New(rdb)),
//	)
//
// The first run takes the key's lock, grants, stores the token with its expiry and releases the
// lock; runs that start meanwhile wait on the lock and then load that token; later runs load it
// until it is about to expire, and then one of them grants the next. A token the API refuses
// (401) is dropped, only if it is still the one stored, so that no run is handed it again.
// Close on a client does not revoke a token it loaded from, or stored in, the cache: other runs
// are using it.
//
// # What is stored
//
// Keys are made by the client from the base URL and the client ID (64 hex digits), never from
// the secret, which is never stored. Under the prefix (WithKeyPrefix, default "atlas-go:token:"):
//
//   - PREFIX+KEY holds the token as JSON (access token, grant time, expiry) with a Redis expiry
//     at the token's expiry (SET PX), so Redis drops it when Atlas would refuse it.
//   - PREFIX+KEY+":lock" is the lock: SET NX PX with a random owner value and a TTL (WithLockTTL,
//     default 10 s), released by a Lua compare-and-delete. A run that dies holding it frees it
//     when the TTL ends.
//
// Whoever can read the Redis keys can use the token for up to an hour: give the fleet's Redis
// the access rules you would give the service account's secret (AUTH/ACL, TLS, a private
// network).
//
// # Faults
//
// Each command is bounded by the Cache's timeout (WithTimeout, default 1 s), whether Redis is
// down, refuses connections, or accepts them and never answers; the client bounds its own wait
// on the cache too, and a cache that fails never fails a call: the client grants as it would
// without one. Set ContextTimeoutEnabled in the go-redis options: without it go-redis ignores
// context deadlines on its sockets, and a command to a silent Redis, which the Cache has stopped
// waiting for, goes on in the background until the client's ReadTimeout (3 s by default).
//
// # Other stores
//
// atlas.TokenCache is four methods (Load, Store, Drop, Lock); this package is a model for
// another store a fleet already trusts with secrets, such as Vault or a Kubernetes Secret with
// a Lease as its lock. On one machine, atlas.NewFileTokenCache needs no server.
package redistoken
