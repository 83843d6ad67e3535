// Package serverproc runs the real stiggql binary, as operators do, for the
// production proofs and load tools: it builds the binary once per process,
// starts it on a free loopback port with the flags and environment given,
// waits for /healthz, and stops it gracefully (SIGTERM) or abruptly
// (SIGKILL). Going through the binary rather than the in-process handler is
// the point: flags, environment, migrations at start, connection pools and
// crash recovery are exercised as in production.
package serverproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MainPackage is the import path of the server's main package.
const MainPackage = "github.com/stigg-selfhost/stiggql"

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of the stiggql binary built from this module's
// working tree, building it on first use (once per process).
func Binary() (string, error) {
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "stiggql-proof-bin")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.path = filepath.Join(dir, "stiggql")
		cmd := exec.Command("go", "build", "-o", built.path, MainPackage)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			built.err = fmt.Errorf("go build %s: %v\n%s", MainPackage, err, out.String())
		}
	})
	return built.path, built.err
}

// Cleanup removes the binary Binary built. Call it once the process is done
// with servers (from TestMain after m.Run, or at the end of a command).
func Cleanup() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// Options describe one server process.
type Options struct {
	// DB is the database URL, file:PATH or postgres://..., passed as
	// DATABASE_URL the way container deployments configure it.
	DB string
	// APIKey, when set, is passed as STIGG_API_KEY: that exact key is valid
	// for the default environment.
	APIKey string
	// Args are more serve flags, e.g. "--rate-limit-mutation", "0".
	Args []string
	// Env are more environment variables, KEY=VALUE; they override the
	// inherited environment.
	Env []string
	// Addr is the listen address; empty picks a free loopback port.
	Addr string
	// Watch lists substrings counted in the server's log output (Count),
	// e.g. "database is locked": the output itself is only kept in part.
	Watch []string
	// StartTimeout bounds the wait for /healthz; 60 s when zero.
	StartTimeout time.Duration
}

// Server is a running server process.
type Server struct {
	// Addr is host:port and URL http://host:port.
	Addr, URL string
	// Key is Options.APIKey.
	Key string

	opts    Options
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	out     *sink
}

// Start starts a server and waits until /healthz answers. When the port it
// picked was taken meanwhile, it retries on another.
func Start(ctx context.Context, o Options) (*Server, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var s *Server
		s, err = start(ctx, o)
		if err == nil {
			return s, nil
		}
		if o.Addr != "" || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
	return nil, err
}

func start(ctx context.Context, o Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if o.DB == "" {
		return nil, errors.New("serverproc: Options.DB is required")
	}
	addr := o.Addr
	if addr == "" {
		if addr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	args := append([]string{"serve", "--addr", addr, "--log-format", "json"}, o.Args...)
	cmd := exec.Command(bin, args...)
	env := append(os.Environ(), "DATABASE_URL="+o.DB)
	if o.APIKey != "" {
		env = append(env, "STIGG_API_KEY="+o.APIKey)
	}
	cmd.Env = append(env, o.Env...)
	s := &Server{Addr: addr, URL: "http://" + addr, Key: o.APIKey, opts: o, cmd: cmd,
		done: make(chan struct{}), out: newSink(o.Watch)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.waitHealthy(wctx); err != nil {
		_ = s.Kill()
		return nil, fmt.Errorf("serverproc: server on %s did not become healthy: %v\n%s", addr, err, s.out.Tail())
	}
	return s, nil
}

func (s *Server) waitHealthy(ctx context.Context) error {
	for {
		if err := s.Healthy(ctx); err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("the process exited: %v", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Healthy checks /healthz once.
func (s *Server) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s", resp.Status)
	}
	return nil
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to timeout for a clean exit; after that
// it kills the process and reports the timeout.
func (s *Server) Stop(timeout time.Duration) error {
	if s.Exited() {
		return s.exitErr()
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-s.done:
		return s.exitErr()
	case <-time.After(timeout):
		_ = s.Kill()
		return fmt.Errorf("serverproc: no exit within %s of SIGTERM", timeout)
	}
}

func (s *Server) exitErr() error {
	if s.waitErr != nil {
		return fmt.Errorf("serverproc: server exited: %w", s.waitErr)
	}
	return nil
}

// Kill sends SIGKILL (kill -9: no cleanup of any kind runs in the server)
// and waits for the process to be gone.
func (s *Server) Kill() error {
	if s.Exited() {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("serverproc: the process did not go away after SIGKILL")
	}
}

// Restart starts a new process with the same options (and address) after
// this one has exited, as a supervisor would.
func (s *Server) Restart(ctx context.Context) (*Server, error) {
	if !s.Exited() {
		return nil, errors.New("serverproc: Restart of a running server")
	}
	o := s.opts
	o.Addr = s.Addr
	return Start(ctx, o)
}

// Count returns how often the watched substring occurred in the server's
// output so far (0 for strings not in Options.Watch).
func (s *Server) Count(substr string) int { return s.out.Count(substr) }

// Output returns the last part of the server's output (stdout and stderr).
func (s *Server) Output() string { return s.out.Tail() }

// StartT is Start for tests: it fails t when the server does not start and
// kills the process when t ends, whatever happened.
func StartT(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Kill() })
	return s
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// sink keeps the tail of a process's output and counts watched substrings
// in it, so that minutes of access logs need not be held in memory. Lines
// are matched whole: a watched string split across writes is still found.
type sink struct {
	mu      sync.Mutex
	watch   []string
	counts  map[string]int
	partial []byte
	tail    []byte
}

const tailBytes = 64 << 10

func newSink(watch []string) *sink {
	return &sink{watch: watch, counts: map[string]int{}}
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, p...)
	if len(s.tail) > 2*tailBytes {
		s.tail = append([]byte(nil), s.tail[len(s.tail)-tailBytes:]...)
	}
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.line(s.partial[:i])
		s.partial = s.partial[i+1:]
	}
	if len(s.partial) > 1<<20 { // an endless line: match what is there
		s.line(s.partial)
		s.partial = nil
	}
	return len(p), nil
}

func (s *sink) line(l []byte) {
	for _, w := range s.watch {
		s.counts[w] += bytes.Count(l, []byte(w))
	}
}

func (s *sink) Count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.counts[substr]
	for _, w := range s.watch {
		if w == substr {
			n += bytes.Count(s.partial, []byte(w))
		}
	}
	return n
}

func (s *sink) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tail
	if len(t) > tailBytes {
		t = t[len(t)-tailBytes:]
	}
	return string(t)
}

// CreateKey runs `stiggql keys create` on the database at dbURL and
// returns the new server key of environment env (created when missing).
func CreateKey(ctx context.Context, dbURL, env string) (string, error) {
	bin, err := Binary()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, "keys", "create", "--environment", env)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("stiggql keys create: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}
