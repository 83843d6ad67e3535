package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// SchemaPath serves the schema's SDL, for code generators and other tools.
const SchemaPath = "/schema.graphql"

// schemaHandler serves sdl, the server's schema (schema.graphqls) byte for
// byte, without an API key: it holds no data, only the API's shape.
func schemaHandler(sdl string) http.Handler {
	sum := sha256.Sum256([]byte(sdl))
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sdl == "" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "schema.graphql", time.Time{}, strings.NewReader(sdl))
	})
}
