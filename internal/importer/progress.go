package importer

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether w is a character device (a terminal), where
// the progress bar is redrawn in place; elsewhere (a file, a pipe, a CI
// log) plain lines are written now and then.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress reports how far an import is, to stderr.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	total    int
	// first is the row count at the start of this run and started its
	// time, for the rate.
	first   int
	started time.Time
	// every is how often plain lines are written.
	every   time.Duration
	lastOut time.Time
	drawn   bool // a bar is on the current line
	now     func() time.Time
}

const barWidth = 30

func newProgress(w io.Writer, terminal bool, total, first int) *progress {
	p := &progress{w: w, terminal: terminal, total: total, first: first, every: 5 * time.Second, now: time.Now}
	p.started = p.now()
	p.lastOut = p.started
	return p
}

// update shows done rows of total; final forces a line.
func (p *progress) update(done, batch int, final bool) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !p.terminal && !final && now.Sub(p.lastOut) < p.every {
		return
	}
	p.lastOut = now
	pct := 100.0
	if p.total > 0 {
		pct = float64(done) * 100 / float64(p.total)
	}
	rate := ""
	if el := now.Sub(p.started).Seconds(); el > 0.5 && done > p.first {
		r := float64(done-p.first) / el
		rate = fmt.Sprintf(", %.0f rows/s", r)
		if left := p.total - done; left > 0 && r > 0 {
			rate += ", " + (time.Duration(float64(left)/r) * time.Second).Round(time.Second).String() + " left"
		}
	}
	if p.terminal {
		fill := barWidth
		if p.total > 0 {
			fill = done * barWidth / p.total
		}
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", barWidth-fill)
		// \r and clear to end of line: redraw in place.
		fmt.Fprintf(p.w, "\r[%s] %d/%d rows (%3.0f%%), batch %d%s\x1b[K", bar, done, p.total, pct, batch, rate)
		p.drawn = true
		if final {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		return
	}
	fmt.Fprintf(p.w, "import: %d/%d rows (%.0f%%), batch %d%s\n", done, p.total, pct, batch, rate)
}

// say writes a message line, after the bar if one is drawn.
func (p *progress) say(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}
