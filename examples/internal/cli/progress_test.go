package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

func TestTerminalBarIsRedrawnInPlace(t *testing.T) {
	var out bytes.Buffer
	p := &Progress{w: &out, tty: true}
	p.Job(&atlas.ExportJob{State: atlas.ExportStateQueued})
	p.Job(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 10}})
	p.Job(&atlas.ExportJob{State: atlas.ExportStateSuccessful, ExportStatus: &atlas.ExportStatus{ExportedCollections: 10, TotalCollections: 10}})
	p.Finish()

	frames := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\r")
	require.Len(t, frames, 4, "%q", out.String())
	assert.Empty(t, frames[0], "every frame starts with a carriage return")
	assert.Equal(t, "[..............................]   0% Queued", frames[1])
	assert.Equal(t, "[#########.....................]  30% InProgress 3/10 collections", frames[2])
	assert.Equal(t, "[##############################] 100% Successful 10/10 collections", frames[3])
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one newline, at the end")
}

func TestTerminalBarBlanksALongerOldLine(t *testing.T) {
	var out bytes.Buffer
	p := &Progress{w: &out, tty: true}
	p.Job(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 10}})
	out.Reset()
	p.Job(&atlas.ExportJob{State: "Paused"})
	frame := strings.TrimPrefix(out.String(), "\r")
	assert.Equal(t, len("[#########.....................]  30% InProgress 3/10 collections"), len(frame), "%q", frame)
	assert.True(t, strings.HasPrefix(frame, "[..............................]   0% Paused  "), "%q", frame)
}

func TestBarClampsOddCounts(t *testing.T) {
	over := renderBar(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 12, TotalCollections: 10}})
	assert.Equal(t, "[##############################] 100%", over)
	neg := renderBar(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: -1, TotalCollections: 10}})
	assert.Equal(t, "[..............................]   0%", neg)
}

func TestPipesAndFilesAreNotTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, IsTerminal(w))
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, IsTerminal(f))
	assert.False(t, IsTerminal(&bytes.Buffer{}))
}

func TestSnapshotProgressIsItsStatus(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out)
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusCompleted})
	p.Finish()
	assert.Equal(t, "snapshot queued\nsnapshot completed\n", out.String(), "one plain line per change off a terminal")
}
