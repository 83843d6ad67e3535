package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestFoldedVersionsAnswerAsPlain: on PostgreSQL the request's first
// statement (getCustomerByRefId's customer) also reads the environment's
// versions (store.Versions.FoldInto), one round trip fewer. Every answer is
// the same, byte for byte, as with the versions read on their own: Q1, the
// official client's GetCustomerById and an unknown customer, each asked
// cold and warm, before and after a catalog write; and Q1 of a customer
// with subscriptions sends one statement fewer. Folding is off by default
// on SQLite (a statement costs no round trip there) but answers the same,
// so both databases run the comparison.
func TestFoldedVersionsAnswerAsPlain(t *testing.T) {
	getByID, err := os.ReadFile(filepath.Join("..", "testdata", "stigg-client", "GetCustomerById.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s, c := seededServer(t, st, 120)
		var page struct {
			Customers struct {
				Edges []struct {
					Node struct {
						RefID         string `json:"refId"`
						Subscriptions []struct {
							ID string `json:"id"`
						} `json:"subscriptions"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"customers"`
		}
		s.Query(`{ customers(paging: {first: 12}) { edges { node { refId subscriptions(filter: {}) { id } } } } }`, nil, &page)
		refs := []string{"no-such-customer"}
		subscribed := map[string]bool{}
		for _, e := range page.Customers.Edges {
			refs = append(refs, e.Node.RefID)
			subscribed[e.Node.RefID] = len(e.Node.Subscriptions) > 0
		}
		if len(subscribed) < 10 {
			t.Fatalf("the seed has %d customers", len(subscribed))
		}
		type ask struct {
			doc  string
			vars map[string]any
		}
		var asks []ask
		for _, ref := range refs {
			asks = append(asks,
				ask{benchQ1, map[string]any{"refId": ref}},
				ask{string(getByID), map[string]any{"input": map[string]any{"customerId": ref}}})
		}
		answer := func(fold bool, a ask) ([]byte, int64) {
			t.Helper()
			s.Resolver.SetVersionFolding(fold)
			c.Reset()
			r := s.Raw(s.Key, a.doc, a.vars)
			n := c.Count()
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			return b, n
		}
		compare := func(what string) {
			t.Helper()
			for i, a := range asks {
				for round := 0; round < 2; round++ { // cold caches, then warm
					plain, plainN := answer(false, a)
					folded, foldedN := answer(true, a)
					if !bytes.Equal(plain, folded) {
						t.Fatalf("%s: ask %d (%v): folded answers\n%s\nplain answers\n%s", what, i, a.vars, folded, plain)
					}
					if a.doc != benchQ1 || round == 0 || !subscribed[a.vars["refId"].(string)] {
						continue
					}
					// The versions read rides on the customer's statement
					// (a subscription's plan needs the catalog).
					if want := plainN - 1; foldedN != want {
						t.Fatalf("%s: warm Q1 sent %d statements folded, %d plain; want %d folded", what, foldedN, plainN, want)
					}
				}
			}
		}
		compare("seeded")
		// A catalog write bumps the version: the next request must see it,
		// folded or not.
		if _, err := st.DB.ExecContext(t.Context(), "UPDATE plans SET display_name = display_name || ' v2'"); err != nil {
			t.Fatal(err)
		}
		compare("after a catalog write")
	})
}
