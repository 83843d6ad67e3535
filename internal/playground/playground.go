// Package playground serves GraphiQL, with its explorer plugin, entirely from
// this server: the page, its bootstrap script and the browser builds of
// GraphiQL and React, committed under vendor/ (pinned in
// playground/package.json, refreshed by scripts/setup-playground.sh, each
// file's sha256 in vendor/SHA256SUMS) and embedded in the binary, so the
// playground works offline and under a strict Content-Security-Policy with
// no inline script.
//
// Routes (mount the handler at "GET /{$}", "GET /playground" and
// "GET /playground/"):
//
//	/, /playground                the page
//	/playground/config.json       endpoint, default query and, on a loopback-only server, its API key
//	/playground/static/NAME       this package's script and styles (embedded)
//	/playground/vendor/NAME       the pinned third-party files (embedded, or from Options.AssetsDir)
package playground

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure the playground.
type Options struct {
	// Endpoint is the GraphQL endpoint the page queries, on this origin
	// (e.g. "/graphql").
	Endpoint string
	// DefaultAPIKey, when set, is sent as the X-API-KEY header by the page.
	// Set it only for a server listening on a loopback address with its
	// local default key: anyone who can load the page can read it.
	DefaultAPIKey string
	// AssetsDir, when set, serves the third-party files from this
	// directory (as `bash scripts/setup-playground.sh DIR` writes them)
	// instead of the copies embedded in the binary.
	AssetsDir string
}

// SetupCommand writes the assets into a directory; the page and the
// server's warning name it.
const SetupCommand = "bash scripts/setup-playground.sh DIR"

// APIKeyHeader is the header the API authenticates by (auth.HeaderName).
const APIKeyHeader = "X-API-KEY"

// ContentSecurityPolicy is sent with the page. GraphiQL needs inline styles
// (CodeMirror and its popovers set them) and data: fonts (embedded in its
// CSS); everything else comes from this origin, and no script is inline.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'"

// Assets are the third-party files the page loads, as named in vendor/ by
// scripts/setup-playground.sh (keep the two lists in sync).
var Assets = []string{
	"react.production.min.js",
	"react-dom.production.min.js",
	"graphiql.min.js",
	"graphiql.min.css",
	"plugin-explorer.umd.js",
	"plugin-explorer.css",
}

// DefaultQuery is what the editor shows on a first visit.
const DefaultQuery = `# Stigg GraphQL playground
#
# Run: Ctrl-Enter or the ▶ button
# Autocomplete: Ctrl-Space
# Build queries in the Explorer (left)
# Auth: X-API-KEY header (Headers tab)

query Customers {
  customers(paging: {first: 10}) {
    totalCount
    edges {
      node {
        customerId
        name
        email
        createdAt
      }
    }
  }
}
`

//go:embed static
var static embed.FS

// Vendor holds the committed third-party files: Assets, their licenses,
// versions.json and the SHA256SUMS manifest.
//
//go:embed vendor
var vendorFS embed.FS

// Vendor returns the embedded third-party files (Assets, licenses/,
// versions.json, SHA256SUMS) rooted at vendor/.
func Vendor() fs.FS {
	sub, err := fs.Sub(vendorFS, "vendor")
	if err != nil {
		panic(err)
	}
	return sub
}

// MissingAssets returns the names of the assets absent from dir, an
// override directory; none when dir is empty (the embedded files) or
// complete.
func MissingAssets(dir string) []string {
	if dir == "" {
		return nil
	}
	var missing []string
	for _, name := range Assets {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			missing = append(missing, name)
		}
	}
	return missing
}

// New returns the playground's handler.
func New(o Options) http.Handler {
	if o.Endpoint == "" {
		o.Endpoint = "/graphql"
	}
	p := &server{o: o}
	staticFS, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.page)
	mux.HandleFunc("GET /playground", p.page)
	mux.HandleFunc("GET /playground/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/playground", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /playground/config.json", p.config)
	mux.Handle("GET /playground/static/", http.StripPrefix("/playground/static/", http.FileServerFS(staticFS)))
	mux.HandleFunc("GET /playground/vendor/{name}", p.vendor)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

type server struct {
	o Options
}

type pageData struct {
	Ready    bool
	Endpoint string
	Dir      string
	Missing  []string
	Setup    string
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stigg GraphQL playground</title>
<link rel="icon" href="data:,">
{{- if .Ready}}
<link rel="stylesheet" href="playground/vendor/graphiql.min.css">
<link rel="stylesheet" href="playground/vendor/plugin-explorer.css">
{{- end}}
<link rel="stylesheet" href="playground/static/playground.css">
</head>
<body>
{{- if .Ready}}
<div id="notice" class="notice" role="status" hidden></div>
<div id="graphiql"><p class="loading">Loading the playground…</p></div>
<noscript><p class="setup">The playground needs JavaScript. The API itself is at <code>{{.Endpoint}}</code>.</p></noscript>
<script src="playground/vendor/react.production.min.js"></script>
<script src="playground/vendor/react-dom.production.min.js"></script>
<script src="playground/vendor/graphiql.min.js"></script>
<script src="playground/vendor/plugin-explorer.umd.js"></script>
<script src="playground/static/playground.js"></script>
{{- else}}
<main class="setup" id="setup">
<h1>The GraphQL playground is not installed</h1>
<p>The API works without it: send GraphQL requests to <code>{{.Endpoint}}</code> with a server API key in the <code>X-API-KEY</code> header.</p>
<p>This server was started with <code>--playground-assets {{.Dir}}</code> (or <code>PLAYGROUND_ASSETS</code>), and some of the playground's files are missing there:
{{range $i, $m := .Missing}}{{if $i}}, {{end}}<code>{{$m}}</code>{{end}}.
Write them there with this command in the repository root (it needs Node.js with npm), then reload this page:</p>
<pre>{{.Setup}}</pre>
<p>Or start the server without <code>--playground-assets</code>: the binary carries its own copy of these files.</p>
</main>
{{- end}}
</body>
</html>
`))

func (p *server) page(w http.ResponseWriter, r *http.Request) {
	missing := MissingAssets(p.o.AssetsDir)
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, pageData{
		Ready:    len(missing) == 0,
		Endpoint: p.o.Endpoint,
		Dir:      p.o.AssetsDir,
		Missing:  missing,
		Setup:    strings.Replace(SetupCommand, "DIR", p.o.AssetsDir, 1),
	}); err != nil {
		http.Error(w, "playground: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

// Config is what the page's script reads from /playground/config.json.
type Config struct {
	Endpoint     string `json:"endpoint"`
	APIKeyHeader string `json:"apiKeyHeader"`
	// APIKey is the preconfigured key, or empty when the user must set one.
	APIKey       string `json:"apiKey,omitempty"`
	DefaultQuery string `json:"defaultQuery"`
}

func (p *server) config(w http.ResponseWriter, r *http.Request) {
	c := Config{Endpoint: p.o.Endpoint, APIKeyHeader: APIKeyHeader, DefaultQuery: DefaultQuery}
	// The key is handed out only to pages loaded by a loopback host name:
	// a DNS-rebinding page (evil.example resolving to 127.0.0.1) is same-
	// origin with itself, not with localhost, and sends its own Host.
	if p.o.DefaultAPIKey != "" && IsLoopbackHost(r.Host) {
		c.APIKey = p.o.DefaultAPIKey
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	_ = json.NewEncoder(w).Encode(c)
}

func (p *server) vendor(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	known := false
	for _, a := range Assets {
		known = known || a == name
	}
	if !known {
		http.NotFound(w, r)
		return
	}
	var (
		f       fs.File
		modTime time.Time
		err     error
	)
	if p.o.AssetsDir != "" {
		f, err = os.Open(filepath.Join(p.o.AssetsDir, name))
	} else {
		f, err = Vendor().Open(name)
	}
	if err != nil {
		http.Error(w, "playground asset "+name+" is missing from "+p.o.AssetsDir+"; run "+SetupCommand, http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "playground asset "+name+" is not seekable", http.StatusInternalServerError)
		return
	}
	if p.o.AssetsDir != "" {
		modTime = fi.ModTime().Truncate(time.Second)
	} else if sum := vendorSums()[name]; sum != "" {
		// Embedded files have no modification time: their checksum
		// from the manifest names their content.
		w.Header().Set("ETag", `"`+sum[:16]+`"`)
	}
	ctype := "text/javascript; charset=utf-8"
	if strings.HasSuffix(name, ".css") {
		ctype = "text/css; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	// Revalidated on every load (cheap: ETag or Last-Modified), so a new
	// binary or refreshed directory takes effect without stale caches.
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, modTime, rs)
}

// vendorSums returns the embedded manifest, vendor/SHA256SUMS, as file name
// to hex sha256 (the lines of sha256sum's output).
var vendorSums = sync.OnceValue(func() map[string]string {
	sums, _ := ParseSums(Vendor())
	return sums
})

// ParseSums reads SHA256SUMS from fsys: one "HEX  NAME" line per file.
func ParseSums(fsys fs.FS) (map[string]string, error) {
	raw, err := fs.ReadFile(fsys, "SHA256SUMS")
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("SHA256SUMS: malformed line %q", line)
		}
		sums[name] = sum
	}
	return sums, nil
}

// IsLoopbackHost reports whether host (a Host header or host:port) names
// this machine's loopback interface: "localhost" or a loopback IP.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackAddr reports whether a listener's address (net.Listener.Addr)
// accepts connections from this machine only.
func IsLoopbackAddr(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	}
	return a != nil && IsLoopbackHost(a.String())
}
