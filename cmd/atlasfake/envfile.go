package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/atomicfile"
)

// envVar is one KEY=value line of what the fake announces.
type envVar struct{ key, value string }

// environment is what a client needs to reach the fake, under the names
// atlas.NewClientFromEnv (and the Atlas CLI) read: the base URL, exactly one credential pair
// (two would be "more than one credential"), and a project that exists.
func environment(srv *atlastest.Server, auth, project string) []envVar {
	vars := []envVar{{atlas.EnvBaseURL, srv.URL}}
	if auth == "digest" {
		vars = append(vars, envVar{atlas.EnvPublicAPIKey, srv.PublicKey}, envVar{atlas.EnvPrivateAPIKey, srv.PrivateKey})
	} else {
		vars = append(vars, envVar{atlas.EnvClientID, srv.ClientID}, envVar{atlas.EnvClientSecret, srv.ClientSecret})
	}
	return append(vars, envVar{"MONGODB_ATLAS_PROJECT_ID", project})
}

// shellLines renders vars as KEY='value' lines that `set -a; . FILE` loads: single quotes keep
// every byte but the quote itself, which is closed, escaped and reopened: ' \' '.
func shellLines(vars []envVar) string {
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "%s='%s'\n", v.key, strings.ReplaceAll(v.value, "'", `'\''`))
	}
	return b.String()
}

// writeEnvFile writes content to path atomically, mode 0600: a temporary file in the same
// directory, renamed over path, so whoever waits for path to exist never reads half of it.
func writeEnvFile(path, content string) error {
	if err := atomicfile.Write(path, []byte(content)); err != nil {
		return fmt.Errorf("-env-file: %w", err)
	}
	return nil
}

// defaultProject is the project announced as MONGODB_ATLAS_PROJECT_ID: the first seeded one,
// or else a new project with a cluster Cluster0, so that the variable always names a project
// the fake serves.
func defaultProject(srv *atlastest.Server, sd *seeds) string {
	switch {
	case len(sd.jobs) > 0:
		return sd.jobs[0].GroupID
	case len(sd.snapshots) > 0:
		return sd.snapshots[0].GroupID
	case len(sd.buckets) > 0:
		return sd.buckets[0].GroupID
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand's contract since Go 1.24)
	id := hex.EncodeToString(b)
	srv.AddCluster(id, "Cluster0")
	return id
}
