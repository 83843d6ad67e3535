package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests start the real binary, as a user does, and talk to it over
// HTTP on loopback.

var binary string

// repoRoot is the module's root, where the binary is built from and the
// README and schema are.
const repoRoot = "../.."

// TestMain builds the binary once, from a copy of the repository's own
// files (what git tracks, plus new files not ignored): nothing outside the
// repository (the steering shared folder) and nothing ignored (.playground-assets,
// node_modules) can make it work here and not in a fresh clone.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stiggql-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, Name)
	src := filepath.Join(dir, "src")
	if err := copyRepo(repoRoot, src); err != nil {
		fmt.Fprintln(os.Stderr, "copy the repository:", err)
		os.Exit(1)
	}
	// -trimpath: the temporary directory does not enter the build cache
	// keys, so later runs reuse the compiled packages.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	build.Dir = src
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// copyRepo copies the files git lists for root (tracked, or untracked and
// not ignored) into dst.
func copyRepo(root, dst string) error {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	addr   string
	stdout *bytes.Buffer
	done   chan error
}

// start runs the binary with args and env and waits for /healthz; on a
// free loopback port unless args has --addr.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	for i, a := range args {
		if a == "--addr" && i+1 < len(args) {
			addr = args[i+1]
		}
	}
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, addr: addr, stdout: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	p.waitHealthy(t)
	return p
}

// waitHealthy waits for /healthz to answer 200.
func (p *proc) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("server exited: %v\n%s", err, p.stdout)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server did not become healthy; output:\n%s", p.stdout)
}

func (p *proc) post(t *testing.T, key, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-api-key", key) // lower case on purpose: header names are case-insensitive
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// TestFirstStartPrintsKeyAndServes follows the README: an empty database,
// no configuration, the printed key, the sample query.
func TestFirstStartPrintsKeyAndServes(t *testing.T) {
	dir := t.TempDir()
	p := start(t, nil, "--db", "file:"+filepath.Join(dir, "stigg.db"))
	key := regexp.MustCompile(`server-[0-9a-f-]{36}`).FindString(p.stdout.String())
	if key == "" {
		t.Fatalf("no key printed:\n%s", p.stdout)
	}
	status, out := p.post(t, key, `mutation { provisionCustomer(input: {customerId: "readme", name: "Readme Inc", email: "hi@readme.io"}) { customer { customerId } } }`)
	if status != 200 || out["errors"] != nil {
		t.Fatalf("provision: %d %v", status, out)
	}
	status, out = p.post(t, key, readmeQuery)
	if status != 200 || out["errors"] != nil || !strings.Contains(fmt.Sprint(out["data"]), "Readme Inc") {
		t.Fatalf("README query: %d %v", status, out)
	}
	if status, _ := p.post(t, "", readmeQuery); status != http.StatusUnauthorized {
		t.Fatalf("no key: status %d, want 401", status)
	}
	// The key is kept next to the database, for its owner only, and a
	// restart on loopback prints it again and presets it in the playground.
	keyFile := filepath.Join(dir, "stigg.db.key")
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if raw, _ := os.ReadFile(keyFile); strings.TrimSpace(string(raw)) != key {
		t.Fatalf("key file holds %q, printed %q", raw, key)
	}
	stop(t, p)
	p2 := start(t, nil, "--db", "file:"+filepath.Join(dir, "stigg.db"))
	if !strings.Contains(p2.stdout.String(), "API key (kept in "+keyFile+", preset in the playground): "+key) {
		t.Fatalf("restart does not show the kept key:\n%s", p2.stdout)
	}
	if status, out := p2.post(t, key, readmeQuery); status != 200 || out["errors"] != nil {
		t.Fatalf("after restart: %d %v", status, out)
	}
	if got := p2.playgroundKey(t); got != key {
		t.Fatalf("playground key after restart %q, want %q", got, key)
	}
}

// playgroundKey returns the key the playground's config hands to a page
// loaded from localhost.
func (p *proc) playgroundKey(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/playground/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		APIKey string `json:"apiKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.APIKey
}

// TestNoKeyFileOffLoopback: a server reachable from other machines prints
// its first key once and keeps no copy of it.
func TestNoKeyFileOffLoopback(t *testing.T) {
	dir := t.TempDir()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	cmd := exec.Command(binary, "serve", "--addr", "0.0.0.0:"+port, "--db", "file:"+filepath.Join(dir, "stigg.db"))
	p := &proc{cmd: cmd, addr: "127.0.0.1:" + port, stdout: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	p.waitHealthy(t)
	if !strings.Contains(p.stdout.String(), "shown once") {
		t.Fatalf("first start off loopback:\n%s", p.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "stigg.db.key")); !os.IsNotExist(err) {
		t.Fatalf("key file written for a non-loopback address: %v", err)
	}
	stop(t, p)
}

// TestHelpExitsZero: every way of asking for help prints it on stdout and
// exits 0; a mistake exits 2, a bad environment value 1, naming it.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"help", "seed"}, {"serve", "--help"}, {"keys", "--help"},
		{"keys", "create", "-h"}, {"keys", "list", "--help"}, {"migrate", "-h"}, {"import", "--help"},
		{"import", "customers", "--help"}, {"seed", "--help"}, {"schema", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%v: %v\n%s", args, err, stderr.String())
			continue
		}
		if !strings.Contains(stdout.String(), "Usage:") {
			t.Errorf("%v: no usage on stdout:\n%s", args, stdout.String())
		}
	}
	for _, c := range []struct {
		args []string
		env  string
		code int
		want string
	}{
		{[]string{"frobnicate"}, "", 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--no-such-flag"}, "", 2, "no-such-flag"},
		{[]string{"serve"}, "METRICS=yes", 1, `METRICS="yes" is not a valid value for --metrics`},
		{[]string{"serve"}, "STRIPE_WAIT_TIMEOUT=soon", 1, "STRIPE_WAIT_TIMEOUT"},
		{[]string{"serve"}, "AUTO_MIGRATE=maybe", 1, "AUTO_MIGRATE"},
	} {
		var stderr bytes.Buffer
		cmd := exec.Command(binary, c.args...)
		cmd.Env = append(os.Environ(), c.env, "DATABASE_URL=file:"+filepath.Join(t.TempDir(), "x.db"))
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v %s: %v, want exit %d and %q in:\n%s", c.args, c.env, err, c.code, c.want, stderr.String())
		}
	}
	help, err := exec.Command(binary, "--help").Output()
	if err != nil || !strings.Contains(string(help), "[env DATABASE_URL]") {
		t.Errorf("--help does not name the environment variables: %v\n%s", err, help)
	}
}

// TestGoRunHelp is the README's promise: `go run . --help` exits 0.
func TestGoRunHelp(t *testing.T) {
	cmd := exec.Command("go", "run", ".", "--help")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stiggql [serve] [flags]") {
		t.Fatalf("go run . --help: %v\n%s", err, out)
	}
}

// TestSeedMakesKeyAndMatchingCounts: seed on a new database prints a key
// and counts; a server on the seeded database shows and accepts that key,
// and its totalCount is the seed's number.
func TestSeedMakesKeyAndMatchingCounts(t *testing.T) {
	dir := t.TempDir()
	dbURL := "file:" + filepath.Join(dir, "seeded.db")
	out, err := exec.Command(binary, "seed", "--customers", "200", "--db", dbURL).Output()
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	key := regexp.MustCompile(`server-[0-9a-f-]{36}`).FindString(string(out))
	m := regexp.MustCompile(`customers \{ totalCount \} answers (\d+)`).FindStringSubmatch(string(out))
	if key == "" || m == nil || !strings.Contains(string(out), "Seeded 200 customers") {
		t.Fatalf("seed output:\n%s", out)
	}
	p := start(t, nil, "--db", dbURL)
	if !strings.Contains(p.stdout.String(), key) {
		t.Fatalf("server on the seeded database does not show the key:\n%s", p.stdout)
	}
	status, res := p.post(t, key, `{ customers { totalCount } }`)
	if status != 200 || res["errors"] != nil || fmt.Sprint(res["data"]) != "map[customers:map[totalCount:"+m[1]+"]]" {
		t.Fatalf("totalCount: %d %v, seed said %s", status, res, m[1])
	}
	if got := p.playgroundKey(t); got != key {
		t.Fatalf("playground key %q, want the seed's %q", got, key)
	}
	// A second seed run refuses (not empty) and makes no second key.
	if out, err := exec.Command(binary, "seed", "--customers", "1", "--db", dbURL).CombinedOutput(); err == nil || strings.Contains(string(out), "server-") {
		t.Fatalf("second seed: %v\n%s", err, out)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 customers", 1: "1 customer", 2: "2 customers"} {
		if got := plural(n, "customer"); got != want {
			t.Errorf("plural(%d) = %q", n, got)
		}
	}
}

// TestEnvironmentKeyAndGracefulShutdown starts with STIGG_API_KEY and stops
// with SIGTERM: the process drains and exits cleanly.
func TestEnvironmentKeyAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	p := start(t, []string{"STIGG_API_KEY=server-ci-key", "DATABASE_URL=file:" + filepath.Join(dir, "s.db")})
	if status, out := p.post(t, "server-ci-key", `{ customers { totalCount } }`); status != 200 || out["errors"] != nil {
		t.Fatalf("env key: %d %v", status, out)
	}
	stop(t, p)
}

func stop(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop after SIGTERM")
	}
}

// TestKeysCommands creates a second environment's key from the command
// line and lists keys without secrets.
func TestKeysCommands(t *testing.T) {
	db := "file:" + filepath.Join(t.TempDir(), "k.db")
	out, err := exec.Command(binary, "keys", "create", "--environment", "staging", "--db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(out))
	if !strings.HasPrefix(key, "server-") {
		t.Fatalf("keys create printed %q", out)
	}
	list, err := exec.Command(binary, "keys", "list", "--db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(list), "staging") || strings.Contains(string(list), key) {
		t.Fatalf("keys list:\n%s", list)
	}
	p := start(t, nil, "--db", db)
	if status, out := p.post(t, key, `{ customers { totalCount } }`); status != 200 || out["errors"] != nil {
		t.Fatalf("staging key: %d %v", status, out)
	}
}

// TestSchemaCommand prints exactly schema.graphqls.
func TestSchemaCommand(t *testing.T) {
	out, err := exec.Command(binary, "schema").Output()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(repoRoot, "schema.graphqls"))
	if !bytes.Equal(out, want) {
		t.Fatal("go run . schema differs from schema.graphqls")
	}
}

// readmeQuery is the first query of the README; keep them equal.
const readmeQuery = `{
  customers(paging: {first: 5}) {
    totalCount
    edges {
      node {
        customerId
        name
        email
        createdAt
        subscriptions { subscriptionId status }
        promotionalEntitlements { featureId status }
      }
    }
  }
}`

// TestReadmeQuery keeps the README's sample query the one tested above.
func TestReadmeQuery(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), readmeQuery) {
		t.Fatal("README.md no longer contains readmeQuery; update one or the other")
	}
	lines := strings.SplitN(string(readme), "\n", 6)
	if !strings.HasPrefix(lines[3], "go run .") || !strings.HasPrefix(lines[4], "go test ./...") {
		t.Fatalf("README must start with the run and test commands, got:\n%s", strings.Join(lines[:5], "\n"))
	}
}

// TestMigrateCommand: production applies migrations explicitly and starts
// replicas with --migrate=false, which refuse an unmigrated database.
func TestMigrateCommand(t *testing.T) {
	dbURL := "file:" + filepath.Join(t.TempDir(), "m.db")
	cmd := exec.Command(binary, "serve", "--migrate=false", "--db", dbURL, "--addr", freeAddr(t))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "migrations pending") {
		t.Fatalf("unmigrated start: %v\n%s", err, out)
	}
	out, err := exec.Command(binary, "migrate", "--db", dbURL).Output()
	if err != nil || !strings.Contains(string(out), "applied") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "migrate", "--db", dbURL).Output()
	if err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	p := start(t, []string{"STIGG_API_KEY=server-m"}, "--migrate=false", "--db", dbURL)
	if status, out := p.post(t, "server-m", `{ customers { totalCount } }`); status != 200 || out["errors"] != nil {
		t.Fatalf("migrated start: %d %v", status, out)
	}
}

// TestPersistedQueryAllowList: with --persisted-queries, registered
// operations run (by text or by hash alone) and anything else is refused.
func TestPersistedQueryAllowList(t *testing.T) {
	dir := t.TempDir()
	allowed := `query Count { customers { totalCount } }`
	if err := os.WriteFile(filepath.Join(dir, "count.graphql"), []byte(allowed), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{"STIGG_API_KEY=server-pq"}, "--db", "file:"+filepath.Join(t.TempDir(), "pq.db"), "--persisted-queries", dir)
	if status, out := p.post(t, "server-pq", allowed); status != 200 || out["errors"] != nil {
		t.Fatalf("registered text: %d %v", status, out)
	}
	_, out := p.post(t, "server-pq", `{ customers { totalCount edges { node { email } } } }`)
	if !strings.Contains(fmt.Sprint(out["errors"]), "PersistedQueryNotAllowed") {
		t.Fatalf("unregistered text: %v", out)
	}
	sum := sha256.Sum256([]byte(allowed))
	body := fmt.Sprintf(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"%x"}}}`, sum)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", "server-pq")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(raw), `"totalCount":0`) {
		t.Fatalf("hash only: %s", raw)
	}
}

// TestTestClockFlag: with --test-clock (here its variable) every service
// runs on the clock that /_test/clock moves: a customer created after a
// move is created at the moved time.
func TestTestClockFlag(t *testing.T) {
	dir := t.TempDir()
	p := start(t, []string{"STIGG_API_KEY=server-ci-key", "TEST_CLOCK=true", "DATABASE_URL=file:" + filepath.Join(dir, "s.db")})
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/_test/clock", strings.NewReader(`{"advance": "8760h"}`))
	req.Header.Set("X-API-KEY", "server-ci-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moving the clock: %d", resp.StatusCode)
	}
	status, out := p.post(t, "server-ci-key", `mutation { provisionCustomer(input: {customerId: "later"}) { customer { createdAt } } }`)
	created, _ := out["data"].(map[string]any)["provisionCustomer"].(map[string]any)["customer"].(map[string]any)["createdAt"].(string)
	at, err := time.Parse(time.RFC3339Nano, created)
	if status != 200 || err != nil || at.Sub(time.Now()) < 8759*time.Hour {
		t.Fatalf("created at %q (%v) after moving the clock a year: %d %v", created, err, status, out)
	}
	stop(t, p)
}
