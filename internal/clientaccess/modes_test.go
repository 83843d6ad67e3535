package clientaccess_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const customerDoc = `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId } }`

// TestClientKeyModes covers what a client key may do without a token, with
// a wrong one, and in a hardened environment.
func TestClientKeyModes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		srv := apitest.New(t, st)
		for _, c := range []string{"c-1", "c-2"} {
			srv.Query(`mutation($id: String!) { provisionCustomer(input: {customerId: $id}) { customer { customerId } } }`, map[string]any{"id": c}, nil)
		}
		key := srv.NewClientKey("default")
		tok1, err := auth.MintCustomerToken(ctx, st.Client, "default", "c-1")
		if err != nil {
			t.Fatal(err)
		}
		as := func(token, doc string, vars map[string]any) *apitest.Response {
			return srv.RawWith(map[string]string{auth.HeaderName: key, auth.CustomerTokenHeader: token}, doc, vars)
		}
		expect := func(t *testing.T, r *apitest.Response, status int, code string) {
			t.Helper()
			if r.Status != status || code != "" && !hasCode(r, code) || code == "" && len(r.Errors) > 0 {
				t.Fatalf("status %d errors %v data %s; want %d %q", r.Status, r.Codes(), r.Data, status, code)
			}
		}

		t.Run("no token, not hardened: any one customer", func(t *testing.T) {
			expect(t, as("", customerDoc, map[string]any{"id": "c-2"}), http.StatusOK, "")
		})
		t.Run("two customers in one request", func(t *testing.T) {
			r := as("", `{ a: getCustomerByRefId(input: {customerId: "c-1"}) { customerId } b: getCustomerByRefId(input: {customerId: "c-2"}) { customerId } }`, nil)
			expect(t, r, http.StatusForbidden, "IdentityForbidden")
		})
		t.Run("listing customers", func(t *testing.T) {
			expect(t, as(tok1, `{ customers { totalCount } }`, nil), http.StatusForbidden, "IdentityForbidden")
		})
		t.Run("allowed and refused fields together", func(t *testing.T) {
			r := as(tok1, `{ coupons { totalCount } customers { totalCount } }`, nil)
			expect(t, r, http.StatusOK, "IdentityForbidden")
			if len(r.Errors) != 1 || len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != "customers" {
				t.Fatalf("errors %+v", r.Errors)
			}
		})
		t.Run("server-only mutation", func(t *testing.T) {
			r := as(tok1, `mutation { archiveCustomer(input: {customerId: "c-1"}) { customerId } }`, nil)
			expect(t, r, http.StatusForbidden, "IdentityForbidden")
			srv.Query(customerDoc, map[string]any{"id": "c-1"}, nil) // still there
		})
		t.Run("token for another customer", func(t *testing.T) {
			expect(t, as(tok1, customerDoc, map[string]any{"id": "c-2"}), http.StatusForbidden, "IdentityForbidden")
			expect(t, as(tok1, customerDoc, map[string]any{"id": "c-1"}), http.StatusOK, "")
		})
		t.Run("wrong token", func(t *testing.T) {
			bad := auth.CustomerToken("not-the-secret", "c-1")
			expect(t, as(bad, customerDoc, map[string]any{"id": "c-1"}), http.StatusUnauthorized, "Unauthenticated")
		})
		t.Run("server key ignores tokens", func(t *testing.T) {
			r := srv.RawWith(map[string]string{auth.HeaderName: srv.Key, auth.CustomerTokenHeader: tok1}, `{ customers { totalCount } }`, nil)
			expect(t, r, http.StatusOK, "")
		})
		t.Run("hardened", func(t *testing.T) {
			if err := auth.SetHardened(ctx, st.Client, "default", true); err != nil {
				t.Fatal(err)
			}
			hkey := srv.NewClientKey("default") // a fresh key: the old one's settings are cached for auth.CacheTTL
			has := func(token, doc string, vars map[string]any) *apitest.Response {
				return srv.RawWith(map[string]string{auth.HeaderName: hkey, auth.CustomerTokenHeader: token}, doc, vars)
			}
			expect(t, has("", customerDoc, map[string]any{"id": "c-1"}), http.StatusForbidden, "IdentityForbidden")
			expect(t, has(tok1, customerDoc, map[string]any{"id": "c-1"}), http.StatusOK, "")
			expect(t, has("", `{ coupons { totalCount } }`, nil), http.StatusOK, "")
		})
	})
}
