package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Cache-Control values of GraphQL responses to GET requests.
const (
	// cacheGETQuery lets the browser (never a shared cache) keep a query's
	// result but revalidate it on every use: the API answers 304 Not
	// Modified when the result is unchanged, saving the transfer.
	cacheGETQuery = "private, max-age=0, must-revalidate"
	// cacheNever is for anything else over GET (gqlgen refuses mutations
	// there anyway).
	cacheNever = "no-store"
)

// maxCachedBody bounds the GET responses buffered to compute an ETag;
// larger ones are sent as they are, without one.
const maxCachedBody = 4 << 20

// CacheGETQueries makes GraphQL queries sent with GET revalidatable: it sets
// Cache-Control (private, max-age=0, must-revalidate), Vary on the API key
// and Origin, and a strong ETag over the 200 response body, and answers 304
// when the request's If-None-Match matches it. The query still runs every
// time; only the transfer is saved. GET requests of other operations get
// Cache-Control: no-store; other methods pass through untouched.
func CacheGETQueries(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		addVary(h, "X-API-KEY", "Origin")
		q := r.URL.Query()
		if !isQueryOperation(q.Get("query"), q.Get("operationName")) {
			h.Set("Cache-Control", cacheNever)
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Cache-Control", cacheGETQuery)
		bw := &bufferedWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(bw, r)
		if bw.overflow {
			return
		}
		if bw.status == http.StatusOK {
			sum := sha256.Sum256(bw.buf.Bytes())
			etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
			h.Set("ETag", etag)
			if etagMatches(r.Header.Get("If-None-Match"), etag) {
				h.Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.buf.Bytes())
	})
}

// isQueryOperation reports whether the operation a GET request would run is
// a query. A request without query text (an automatic persisted query by
// hash) counts as one: gqlgen refuses anything else over GET.
func isQueryOperation(query, operationName string) bool {
	if query == "" {
		return true
	}
	// A syntax error yields nil: gqlgen answers it, nothing worth keeping.
	_, op := selectedOperation(query, operationName)
	return op != nil && op.Operation == ast.Query
}

// selectedOperation parses query and returns the operation a request with
// operationName runs, as gqlgen picks it; nil when the document does not
// parse or names no such operation.
func selectedOperation(query, operationName string) (*ast.QueryDocument, *ast.OperationDefinition) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil, nil
	}
	switch {
	case operationName != "":
		return doc, doc.Operations.ForName(operationName)
	case len(doc.Operations) == 1:
		return doc, doc.Operations[0]
	}
	return doc, nil
}

// etagMatches implements If-None-Match's weak comparison for one ETag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// bufferedWriter holds a response back until it is complete, up to
// maxCachedBody; past that it streams the rest straight through.
type bufferedWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	buf         bytes.Buffer
	overflow    bool
}

func (b *bufferedWriter) WriteHeader(status int) {
	if b.wroteHeader {
		return
	}
	b.wroteHeader = true
	b.status = status
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wroteHeader = true
	if b.overflow {
		return b.ResponseWriter.Write(p)
	}
	if b.buf.Len()+len(p) > maxCachedBody {
		b.overflow = true
		b.ResponseWriter.WriteHeader(b.status)
		if _, err := b.ResponseWriter.Write(b.buf.Bytes()); err != nil {
			return 0, err
		}
		b.buf.Reset()
		return b.ResponseWriter.Write(p)
	}
	return b.buf.Write(p)
}
