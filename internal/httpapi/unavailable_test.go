package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestDatabaseOutageIs503: when the database is unreachable or its disk
// is full, a GraphQL request is answered HTTP 503 with Retry-After and
// ServiceUnavailable (it was 200 UnexpectedError), and normally again
// once the database is back.
func TestDatabaseOutageIs503(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		s.Query(`mutation { provisionCustomer(input:{customerId:"c1"}){ customer { customerId } } }`, nil, nil)
		get := func() (*httptest.ResponseRecorder, apitest.Response) {
			body, _ := json.Marshal(map[string]any{"query": `{ getCustomerByRefId(input:{customerId:"c1"}){ customerId } }`})
			req := httptest.NewRequest(http.MethodPost, httpapi.GraphQLPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(auth.HeaderName, s.Key)
			rec := httptest.NewRecorder()
			s.Handler.ServeHTTP(rec, req)
			var r apitest.Response
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatalf("not JSON (%d): %s", rec.Code, rec.Body)
			}
			return rec, r
		}
		for _, outage := range []error{
			&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
			&pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"},
		} {
			s.Statements.FailQueries(func(q string) error {
				if strings.Contains(q, "customers") {
					return outage
				}
				return nil
			})
			rec, r := get()
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
				len(r.Errors) != 1 || r.Errors[0].Code() != "ServiceUnavailable" {
				t.Fatalf("%v: HTTP %d, Retry-After %q, errors %v; want 503 with Retry-After and ServiceUnavailable",
					outage, rec.Code, rec.Header().Get("Retry-After"), r.Errors)
			}
		}
		s.Statements.FailQueries(nil)
		if rec, r := get(); rec.Code != http.StatusOK || len(r.Errors) != 0 {
			t.Fatalf("after the outage: HTTP %d, errors %v", rec.Code, r.Errors)
		}
	})
}
