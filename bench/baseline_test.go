package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/stigg-selfhost/stiggql/bench/baseline"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/seed"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestBaselineAnswersLikeServer: the hand-written baseline returns the
// server's JSON for Q1 and Q2 (else comparing their speed would be
// meaningless), on both databases.
func TestBaselineAnswersLikeServer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{Customers: 400, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		s := apitest.New(t, st)
		envID := st.Client.Environment.Query().FirstIDX(ctx)
		for _, e := range st.Client.Environment.Query().AllX(ctx) {
			if e.Slug == seed.Environments[0] {
				envID = e.ID
			}
		}
		b, err := baseline.New(ctx, st.DB, st.Dialect, envID, s.Clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		base := func(path string, vars map[string]any) json.RawMessage {
			t.Helper()
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body("", vars)))
			rec := httptest.NewRecorder()
			b.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Body.Bytes())
			}
			var r struct{ Data json.RawMessage }
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			return r.Data
		}
		same := func(what string, a, b json.RawMessage) {
			t.Helper()
			var x, y any
			if err := json.Unmarshal(a, &x); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &y); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(x, y) {
				t.Fatalf("%s differs:\nserver   %s\nbaseline %s", what, a, b)
			}
		}
		refs := st.Client.Customer.Query().Where(customer.EnvironmentID(envID), customer.DeletedAtIsNil()).
			Limit(40).Select(customer.FieldCustomerID).StringsX(ctx)
		refs = append(refs, "no-such-customer")
		for _, ref := range refs {
			vars := map[string]any{"refId": ref}
			same("Q1 "+ref, s.Raw(s.Key, Query(t, "q1"), vars).Data, base("/q1", vars))
		}
		q2 := s.Raw(s.Key, Query(t, "q2"), nil).Data
		if len(q2) < 10000 {
			t.Fatalf("Q2 answer too small to compare: %s", q2)
		}
		same("Q2", q2, base("/q2", nil))
	})
}
