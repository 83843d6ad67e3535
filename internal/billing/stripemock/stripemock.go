// Package stripemock runs stripe-mock, Stripe's official API mock, for
// tests: the billing sync is tested against the real Stripe client library
// and real request validation, never against Stripe itself.
//
// The binary is built once per test process (go install of a pinned
// version into a temporary directory, fast after the first time thanks to
// Go's build cache) and one server is shared by the process's tests; it is
// stateless, and answers every request with canned objects (a created
// customer always has the same cus_... id). When it cannot be built or
// started, tests skip with the reason, except under CI=true, where they fail.
package stripemock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Module is the pinned stripe-mock.
const Module = "github.com/stripe/stripe-mock@v0.203.0"

const (
	buildTimeout = 5 * time.Minute
	startTimeout = 30 * time.Second
)

var (
	once    sync.Once
	baseURL string
	cmd     *exec.Cmd
	tmpDir  string
	initErr error
)

// URL returns the base URL of the shared stripe-mock (http://127.0.0.1:PORT),
// starting it on first use, or skips (fails under CI=true) the test when it
// cannot run.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if initErr != nil {
		unavailable(t, fmt.Sprintf("stripemock: stripe-mock is not available: %v", initErr))
	}
	return baseURL
}

// Stop stops the shared server and removes its binary; call it from
// TestMain after m.Run.
func Stop() {
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
	}
}

func start() {
	dir, err := os.MkdirTemp("", "stripe-mock-")
	if err != nil {
		initErr = err
		return
	}
	tmpDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "install", Module)
	// Outside any module, so the project's go.mod does not get the mock's
	// dependencies; GOFLAGS may carry -mod settings that install rejects.
	build.Dir = dir
	build.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		initErr = fmt.Errorf("go install %s: %v: %s", Module, err, strings.TrimSpace(string(out)))
		return
	}
	bin := filepath.Join(dir, "stripe-mock")
	// Loopback only, on ports the system picks, for HTTP and HTTPS alike
	// (left unset, HTTPS would listen on all interfaces at a fixed port).
	c := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	// The server dies with the test process even if Stop is never called.
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := c.StdoutPipe()
	if err != nil {
		initErr = err
		return
	}
	c.Stderr = c.Stdout
	if err := c.Start(); err != nil {
		initErr = err
		return
	}
	cmd = c
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		const marker = "Listening for HTTP at address: "
		for sc.Scan() {
			if _, addr, ok := strings.Cut(sc.Text(), marker); ok {
				found <- strings.TrimSpace(addr)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case addr := <-found:
		baseURL = "http://" + addr
	case <-time.After(startTimeout):
		initErr = errors.New("stripe-mock did not report its HTTP address")
		Stop()
	}
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI is set, so this fails instead of skipping)")
	}
	t.Skip(msg)
}

// Switch is a proxy in front of stripe-mock that a test can take down and
// bring back, to play a Stripe outage: while down, every connection is cut
// before an answer, as a network failure would.
type Switch struct {
	URL  string
	down atomic.Bool

	mu       sync.Mutex
	requests []Request
}

// Request is a request that reached stripe-mock through a Switch; Form is
// its form-encoded body (Stripe's request format).
type Request struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
}

// Requests returns the requests that reached stripe-mock so far.
func (s *Switch) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// NewSwitch starts a Switch in front of the shared stripe-mock (up).
func NewSwitch(t testing.TB) *Switch {
	t.Helper()
	target, err := url.Parse(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &Switch{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form})
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.URL = "http://" + ln.Addr().String()
	return s
}

// SetDown takes Stripe down (true) or brings it back (false).
func (s *Switch) SetDown(down bool) { s.down.Store(down) }
