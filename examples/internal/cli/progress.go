package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/atlas-exports/atlas"
)

// IsTerminal reports whether w is a terminal (a character device), where a bar can be redrawn.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// barWidth is the number of cells in the progress bar.
const barWidth = 30

// Progress shows a job's or a snapshot's progress: a bar redrawn with \r on a terminal, else
// one plain line per change. Build it with NewProgress.
type Progress struct {
	w     io.Writer
	tty   bool
	last  string // the last status shown
	drawn int    // the length of the bar line on screen, to blank out a longer old one
}

// NewProgress shows progress on w, as a bar when w is a terminal.
func NewProgress(w io.Writer) *Progress { return NewProgressOn(w, IsTerminal(w)) }

// NewProgressOn shows progress on w, as a bar redrawn in place when terminal is set.
func NewProgressOn(w io.Writer, terminal bool) *Progress { return &Progress{w: w, tty: terminal} }

// Job shows job; it is ExportsService.Wait's OnProgress.
func (p *Progress) Job(job *atlas.ExportJob) { p.show(renderBar(job), statusLine(job)) }

// Snapshot shows snap, whose status is all there is to show; it is SnapshotsService.Wait's
// OnProgress.
func (p *Progress) Snapshot(snap *atlas.Snapshot) { p.show("", "snapshot "+string(snap.Status)) }

// show draws one update: bar and status on a terminal, the status alone elsewhere.
func (p *Progress) show(bar, status string) {
	if !p.tty {
		if status != p.last {
			fmt.Fprintln(p.w, status)
		}
		p.last = status
		return
	}
	line := strings.TrimSpace(bar + " " + status)
	pad := max(p.drawn-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.drawn = len(line)
	p.last = status
}

// Finish ends the bar's line so that what follows starts on a fresh one.
func (p *Progress) Finish() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintln(p.w)
		p.drawn = 0
	}
}

// statusLine is "InProgress 3/10 collections", or the state alone when there is no count yet.
func statusLine(job *atlas.ExportJob) string {
	s := string(job.State)
	if s == "" {
		s = "(no state)"
	}
	if st := job.ExportStatus; st != nil && st.TotalCollections > 0 {
		s += fmt.Sprintf(" %d/%d collections", st.ExportedCollections, st.TotalCollections)
	}
	return s
}

// renderBar draws "[#########.....................]  30%" from exportedCollections of
// totalCollections; a successful job is full whatever its counts say.
func renderBar(job *atlas.ExportJob) string {
	frac := 0.0
	if st := job.ExportStatus; st != nil && st.TotalCollections > 0 {
		frac = float64(st.ExportedCollections) / float64(st.TotalCollections)
	}
	if job.State == atlas.ExportStateSuccessful {
		frac = 1
	}
	frac = min(max(frac, 0), 1)
	filled := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), int(frac*100))
}
