package limits

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
)

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func decodeError(t *testing.T, body []byte) (code, msg string) {
	t.Helper()
	var r gqlResponse
	if err := json.Unmarshal(body, &r); err != nil || len(r.Errors) != 1 {
		t.Fatalf("want one GraphQL error, got %s", body)
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c, r.Errors[0].Message
}

func post(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// echo answers with the request body, counting its calls.
type echo struct{ calls int }

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.calls++
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func TestBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		body          string
		contentLength int64 // -1: unknown (chunked)
		status        int
	}{
		{"at the limit", strings.Repeat("a", 16), 16, http.StatusOK},
		{"over, declared", strings.Repeat("a", 17), 17, http.StatusRequestEntityTooLarge},
		{"over, chunked", strings.Repeat("a", 17), -1, http.StatusRequestEntityTooLarge},
		{"under, chunked", strings.Repeat("a", 3), -1, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &echo{}
			req := post(tc.body)
			req.ContentLength = tc.contentLength
			ctx, info := reqinfo.With(req.Context())
			req = req.WithContext(ctx)
			rec := httptest.NewRecorder()
			BodyLimit(16, next).ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == http.StatusOK {
				if rec.Body.String() != tc.body {
					t.Errorf("handler read %q, want the whole body", rec.Body)
				}
				return
			}
			if next.calls != 0 {
				t.Error("the handler ran for a body over the limit")
			}
			if code, msg := decodeError(t, rec.Body.Bytes()); code != "RequestTooLarge" || !strings.Contains(msg, "16 bytes") {
				t.Errorf("error = %s %q", code, msg)
			}
			if got := info.Codes(); len(got) != 1 || got[0] != "RequestTooLarge" {
				t.Errorf("recorded codes = %v", got)
			}
		})
	}
}

func TestTimeoutSetsDeadline(t *testing.T) {
	var deadline time.Time
	var has bool
	h := Timeout(30*time.Second, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		deadline, has = r.Context().Deadline()
	}))
	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), post("{}"))
	after := time.Now()
	if !has {
		t.Fatal("no deadline on the request context")
	}
	if deadline.Before(before.Add(30*time.Second)) || deadline.After(after.Add(30*time.Second)) {
		t.Errorf("deadline %v not 30s after the request (%v..%v)", deadline, before, after)
	}
	if Timeout(0, http.NotFoundHandler()) == nil {
		t.Error("Timeout(0) must return the handler")
	}
}

func TestBatch(t *testing.T) {
	op := func(i int) string { return `{"query":"{ n` + strconv.Itoa(i) + ` }"}` }
	batch := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = op(i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}

	t.Run("single request passes through", func(t *testing.T) {
		next := &echo{}
		rec := httptest.NewRecorder()
		Batch(10, next).ServeHTTP(rec, post("  "+op(1)))
		if rec.Code != http.StatusOK || rec.Body.String() != "  "+op(1) || next.calls != 1 {
			t.Fatalf("got %d %s after %d calls", rec.Code, rec.Body, next.calls)
		}
	})

	t.Run("batch within the limit runs each operation in order", func(t *testing.T) {
		next := &echo{}
		rec := httptest.NewRecorder()
		Batch(3, next).ServeHTTP(rec, post(batch(3)))
		if rec.Code != http.StatusOK || next.calls != 3 {
			t.Fatalf("got %d after %d calls: %s", rec.Code, next.calls, rec.Body)
		}
		var got []map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("response is not a JSON array: %s", rec.Body)
		}
		for i, r := range got {
			if r["query"] != "{ n"+strconv.Itoa(i)+" }" {
				t.Errorf("element %d = %v", i, r)
			}
		}
	})

	for _, tc := range []struct {
		name  string
		limit int
		body  string
		code  string
	}{
		{"over the limit", 3, batch(4), "GraphQLBatchedOperationsLimitExceeded"},
		{"batching off", 0, batch(1), "GraphQLBatchedOperationsLimitExceeded"},
		{"empty batch", 3, "[]", "BadUserInput"},
		{"malformed batch", 3, "[{", "BadUserInput"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &echo{}
			rec := httptest.NewRecorder()
			Batch(tc.limit, next).ServeHTTP(rec, post(tc.body))
			if rec.Code != http.StatusBadRequest || next.calls != 0 {
				t.Fatalf("got %d after %d calls: %s", rec.Code, next.calls, rec.Body)
			}
			if code, _ := decodeError(t, rec.Body.Bytes()); code != tc.code {
				t.Errorf("code = %s, want %s", code, tc.code)
			}
		})
	}

	t.Run("statuses and Retry-After of the elements", func(t *testing.T) {
		n := 0
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			if n == 2 {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
			}
			_, _ = w.Write([]byte(`{"data":null}`))
		})
		rec := httptest.NewRecorder()
		Batch(3, next).ServeHTTP(rec, post(batch(2)))
		if rec.Code != http.StatusOK || rec.Header().Get("Retry-After") != "7" {
			t.Fatalf("mixed statuses: got %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
		}
		n = 1 // every element now refused
		rec = httptest.NewRecorder()
		Batch(3, next).ServeHTTP(rec, post(batch(1)))
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("common status: got %d", rec.Code)
		}
	})

	t.Run("GET and other content types pass through", func(t *testing.T) {
		next := &echo{}
		req := post(batch(20))
		req.Header.Set("Content-Type", "text/plain")
		rec := httptest.NewRecorder()
		Batch(1, next).ServeHTTP(rec, req)
		if next.calls != 1 {
			t.Fatalf("not passed through: %d %s", rec.Code, rec.Body)
		}
	})
}
