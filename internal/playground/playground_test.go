package playground

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeAssets writes placeholder files for every asset into a new directory.
func fakeAssets(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range Assets {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("/* "+name+" */\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func get(t *testing.T, h http.Handler, host, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if host != "" {
		req.Host = host
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestPageLoadsOnlyServedScripts(t *testing.T) {
	h := New(Options{Endpoint: "/graphql", AssetsDir: fakeAssets(t)})
	for _, path := range []string{"/", "/playground"} {
		res, body := get(t, h, "", path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, got)
		}
		if !strings.Contains(ContentSecurityPolicy, "script-src 'self';") {
			t.Errorf("CSP allows more than same-origin scripts: %s", ContentSecurityPolicy)
		}
		// No inline script and nothing from another origin.
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !regexp.MustCompile(`^<script src="playground/(vendor|static)/[a-z.-]+\.js">$`).MatchString(tag) {
				t.Errorf("%s: unexpected script tag %s", path, tag)
			}
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("%s: inline script or absolute URL in page:\n%s", path, body)
		}
		for _, name := range Assets {
			if !strings.Contains(body, "playground/vendor/"+name) {
				t.Errorf("%s: page does not load %s", path, name)
			}
		}
	}
}

func TestMissingAssetsPageExplainsSetup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing-here")
	if got := MissingAssets(dir); len(got) != len(Assets) {
		t.Fatalf("MissingAssets = %v", got)
	}
	h := New(Options{AssetsDir: dir})
	res, body := get(t, h, "", "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{"not installed", "bash scripts/setup-playground.sh " + dir, "--playground-assets", "PLAYGROUND_ASSETS", "X-API-KEY", "/graphql", "carries its own copy"} {
		if !strings.Contains(body, want) {
			t.Errorf("page does not mention %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("setup page loads scripts")
	}
	res, _ = get(t, h, "", "/playground/vendor/graphiql.min.js")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: status %d", res.StatusCode)
	}
}

func TestVendorServesOnlyKnownAssets(t *testing.T) {
	dir := fakeAssets(t)
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("no"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := New(Options{AssetsDir: dir})
	res, body := get(t, h, "", "/playground/vendor/graphiql.min.js")
	if res.StatusCode != http.StatusOK || body != "/* graphiql.min.js */\n" {
		t.Fatalf("graphiql.min.js: %d %q", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	res, _ = get(t, h, "", "/playground/vendor/graphiql.min.css")
	if ct := res.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("css content type %q", ct)
	}
	for _, p := range []string{"/playground/vendor/secret.txt", "/playground/vendor/..%2fsecret.txt", "/playground/vendor/"} {
		if res, _ := get(t, h, "", p); res.StatusCode == http.StatusOK {
			t.Errorf("%s: served", p)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	h := New(Options{AssetsDir: fakeAssets(t)})
	res, body := get(t, h, "", "/playground/static/playground.js")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "GraphiQLPluginExplorer.explorerPlugin()") {
		t.Fatalf("playground.js: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("playground.js content type %q", ct)
	}
	if res, _ := get(t, h, "", "/playground/static/playground.css"); res.StatusCode != http.StatusOK {
		t.Errorf("playground.css: %d", res.StatusCode)
	}
	if res, _ := get(t, h, "", "/playground/"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/playground" {
		t.Errorf("/playground/: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestConfigHandsKeyOnlyToLoopbackHosts(t *testing.T) {
	h := New(Options{Endpoint: "/graphql", DefaultAPIKey: "stg_local", AssetsDir: fakeAssets(t)})
	for host, want := range map[string]string{
		"localhost:8080":   "stg_local",
		"127.0.0.1:8080":   "stg_local",
		"[::1]:8080":       "stg_local",
		"LOCALHOST":        "stg_local",
		"evil.example":     "", // DNS rebinding: a foreign name pointing at 127.0.0.1
		"192.168.1.2:8080": "",
	} {
		res, body := get(t, h, host, "/playground/config.json")
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", host, res.Header.Get("Cache-Control"))
		}
		var c Config
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			t.Fatalf("%s: %v: %s", host, err, body)
		}
		if c.APIKey != want {
			t.Errorf("Host %s: apiKey %q, want %q", host, c.APIKey, want)
		}
		if c.Endpoint != "/graphql" || c.APIKeyHeader != "X-API-KEY" || !strings.Contains(c.DefaultQuery, "totalCount") {
			t.Errorf("%s: config %+v", host, c)
		}
	}
	h = New(Options{AssetsDir: fakeAssets(t)})
	_, body := get(t, h, "localhost:8080", "/playground/config.json")
	if strings.Contains(body, "apiKey\"") {
		t.Errorf("no key configured, yet config has one: %s", body)
	}
}

func TestIsLoopbackAddr(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8080}, false},
	} {
		if got := IsLoopbackAddr(c.addr); got != c.want {
			t.Errorf("IsLoopbackAddr(%v) = %v", c.addr, got)
		}
	}
	for addr, want := range map[string]bool{"localhost:8080": true, ":8080": false, "0.0.0.0:8080": false} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("listen %s: %v (skipped)", addr, err)
			continue
		}
		if got := IsLoopbackAddr(ln.Addr()); got != want {
			t.Errorf("listening on %s (%s): loopback %v", addr, ln.Addr(), got)
		}
		ln.Close()
	}
}

// TestEmbeddedAssetsMatchManifest checks every committed third-party file
// against vendor/SHA256SUMS, and that the manifest lists exactly the files
// there are: a hand edit or a partial refresh of vendor/ fails here.
func TestEmbeddedAssetsMatchManifest(t *testing.T) {
	v := Vendor()
	sums, err := ParseSums(v)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = fs.WalkDir(v, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "SHA256SUMS" {
			return err
		}
		seen[path] = true
		data, err := fs.ReadFile(v, path)
		if err != nil {
			return err
		}
		got := sha256.Sum256(data)
		if want, ok := sums[path]; !ok {
			t.Errorf("%s is not in SHA256SUMS", path)
		} else if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: sha256 %x, manifest says %s", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range sums {
		if !seen[name] {
			t.Errorf("SHA256SUMS lists %s, which is not in vendor/", name)
		}
	}
	for _, name := range append(append([]string(nil), Assets...), "versions.json",
		"licenses/react.LICENSE", "licenses/react-dom.LICENSE", "licenses/graphiql.LICENSE", "licenses/graphiql-plugin-explorer.LICENSE") {
		if !seen[name] {
			t.Errorf("vendor/ lacks %s", name)
		}
	}
}

// TestEmbeddedAssetsServed: with no directory given, the page loads the
// files embedded in the binary, revalidated by their checksum.
func TestEmbeddedAssetsServed(t *testing.T) {
	if m := MissingAssets(""); len(m) > 0 {
		t.Fatalf("embedded assets reported missing: %v", m)
	}
	h := New(Options{})
	_, page := get(t, h, "", "/")
	if !strings.Contains(page, "playground/vendor/graphiql.min.js") {
		t.Fatalf("page does not load GraphiQL:\n%s", page)
	}
	res, body := get(t, h, "", "/playground/vendor/graphiql.min.js")
	want, _ := fs.ReadFile(Vendor(), "graphiql.min.js")
	if res.StatusCode != http.StatusOK || body != string(want) {
		t.Fatalf("graphiql.min.js: status %d, %d bytes", res.StatusCode, len(body))
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on an embedded asset")
	}
	req := httptest.NewRequest(http.MethodGet, "/playground/vendor/graphiql.min.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", rec.Code)
	}
	if res, _ := get(t, h, "", "/playground/vendor/SHA256SUMS"); res.StatusCode == http.StatusOK {
		t.Error("the manifest is served as an asset")
	}
}
