package abuse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// cpuTime returns the user and system CPU time of process pid so far, from
// /proc/PID/stat (0 when pid is 0 or /proc is not there).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, may hold spaces):
	// utime and stime are the 12th and 13th of them, in clock ticks.
	rest := raw[bytes.LastIndexByte(raw, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ, 100 on Linux
	return time.Duration(u+st) * time.Second / ticks
}

// health polls /healthz every 250 ms until stopped.
type healthPoller struct {
	checks, failures atomic.Int64
	done             chan struct{}
	finished         chan struct{}
}

func startHealth(url string) *healthPoller {
	h := &healthPoller{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(h.finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				err := healthy(ctx, url)
				cancel()
				h.checks.Add(1)
				if err != nil {
					h.failures.Add(1)
				}
			}
		}
	}()
	return h
}

func (h *healthPoller) stop() (checks, failures int) {
	close(h.done)
	<-h.finished
	return int(h.checks.Load()), int(h.failures.Load())
}

func healthy(ctx context.Context, url string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
