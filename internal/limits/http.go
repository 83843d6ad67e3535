package limits

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
)

// Timeout gives every request a context that is cancelled after d, so that
// database work still running then stops and the response reports code
// RequestTimeout. Unlike http.TimeoutHandler it does not buffer the
// response or answer in place of the handler: the handler notices the
// cancelled context and answers itself. d <= 0 disables it.
func Timeout(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// BodyLimit refuses request bodies of more than limit bytes with 413 and code
// RequestTooLarge, before anything reads them. Smaller bodies are read into
// memory, so that the layers below (which all read the whole body anyway)
// can read them again. limit <= 0 disables it.
func BodyLimit(limit int64, next http.Handler) http.Handler {
	if limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := func() {
			// The rest of the body is not read: the connection is closed
			// after the response instead of draining it.
			w.Header().Set("Connection", "close")
			reqinfo.WriteError(w, r, http.StatusRequestEntityTooLarge, apperr.RequestTooLarge,
				fmt.Sprintf("the request body exceeds the limit of %d bytes", limit))
		}
		if r.ContentLength > limit {
			tooLarge()
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, "the request body could not be read")
			return
		}
		if int64(len(body)) > limit {
			tooLarge()
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// Batch serves batched requests: a POST whose JSON body is an array of
// GraphQL requests. Each element runs through next as a request of its own,
// one after another, with the original request's headers and context, and
// the response is the array of their responses, in order. Its status is the
// elements' common status, or 200 when they differ (each element carries
// its own errors); a Retry-After of any element is passed on.
//
// An array of more than limit requests is refused with 400 and code
// GraphQLBatchedOperationsLimitExceeded before any runs; limit <= 0 refuses
// every array. Other requests pass through untouched.
func Batch(limit int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !isJSON(r.Header.Get("Content-Type")) || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, "the request body could not be read")
			return
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if len(trimmed) == 0 || trimmed[0] != '[' {
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		var ops []json.RawMessage
		if err := json.Unmarshal(trimmed, &ops); err != nil {
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, "the batched request is not a JSON array of GraphQL requests")
			return
		}
		switch {
		case limit <= 0:
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.GraphQLBatchedOperationsLimitExceeded,
				"batched requests are not accepted: send one operation per request")
			return
		case len(ops) > limit:
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.GraphQLBatchedOperationsLimitExceeded,
				fmt.Sprintf("the batch holds %d operations, which exceeds the limit of %d", len(ops), limit))
			return
		case len(ops) == 0:
			reqinfo.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, "the batched request holds no operation")
			return
		}
		serveBatch(w, r, ops, next)
	})
}

func serveBatch(w http.ResponseWriter, r *http.Request, ops []json.RawMessage, next http.Handler) {
	var (
		out        bytes.Buffer
		status     int
		retryAfter int
		ctype      string
	)
	out.WriteByte('[')
	for i, op := range ops {
		sub := r.Clone(r.Context())
		sub.Body = io.NopCloser(bytes.NewReader(op))
		sub.ContentLength = int64(len(op))
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, sub)

		if i > 0 {
			out.WriteByte(',')
		}
		if b := bytes.TrimSpace(rec.body.Bytes()); json.Valid(b) && len(b) > 0 {
			out.Write(b)
		} else {
			out.WriteString("null")
		}
		st := rec.statusCode()
		switch {
		case i == 0:
			status = st
		case st != status:
			status = http.StatusOK
		}
		if ra, err := strconv.Atoi(rec.header.Get("Retry-After")); err == nil && ra > retryAfter {
			retryAfter = ra
		}
		if ctype == "" {
			ctype = rec.header.Get("Content-Type")
		}
	}
	out.WriteByte(']')
	if ctype == "" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// recorder buffers one element's response of a batch.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
