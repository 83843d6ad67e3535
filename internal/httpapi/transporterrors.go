package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// CodeTransportErrors gives every error the GraphQL transport writes
// itself a code. gqlgen answers a few malformed requests (a GET carrying a
// mutation, variables that are not JSON, a method or content type no
// transport takes) before any operation runs, so its error presenter never
// sees them and they would reach clients without extensions.code. Only
// responses with an error status are held and rewritten; the others pass
// through untouched.
//
// It also answers the documents gqlgen refuses before execution (parse and
// validation errors, variables that do not coerce, operations over the
// query limits) with HTTP 400 where gqlgen says 422: Stigg's API (Apollo
// Server) answers them 400, and Stigg's SDKs retry every failed status but
// 400 and 500, so a 422 would be sent five times before the caller hears of
// it.
func CodeTransportErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &codingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

type codingWriter struct {
	http.ResponseWriter
	status int
	held   *bytes.Buffer // the body of an error response, nil otherwise
}

func (w *codingWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	if status == http.StatusUnprocessableEntity {
		status = http.StatusBadRequest
	}
	w.status = status
	if status >= 400 {
		w.held = &bytes.Buffer{}
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *codingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.held != nil {
		return w.held.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on flushes of streamed (non-error) responses.
func (w *codingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.held == nil {
		f.Flush()
	}
}

// Hijack passes websocket upgrades on.
func (w *codingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the response writer cannot be hijacked")
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *codingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *codingWriter) finish() {
	if w.held == nil {
		return
	}
	body := w.held.Bytes()
	if coded, ok := codeErrors(body); ok {
		body = coded
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}

// codeErrors sets extensions.code to BAD_REQUEST on each error of a
// GraphQL response that has none; ok is false when body is not one.
func codeErrors(body []byte) ([]byte, bool) {
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) != nil {
		return nil, false
	}
	var errs []map[string]any
	if raw, found := resp["errors"]; !found || json.Unmarshal(raw, &errs) != nil {
		return nil, false
	}
	changed := false
	for _, e := range errs {
		ext, _ := e["extensions"].(map[string]any)
		if code, _ := ext["code"].(string); code != "" {
			continue
		}
		if ext == nil {
			ext = map[string]any{}
		}
		ext["code"] = string(apperr.BadRequest)
		e["extensions"] = ext
		changed = true
	}
	if !changed {
		return nil, false
	}
	raw, err := json.Marshal(errs)
	if err != nil {
		return nil, false
	}
	resp["errors"] = raw
	out, err := json.Marshal(resp)
	return out, err == nil
}
