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
// with subscriptions sends one statement fewer. Likewise the customers
// pages of Q2 and Q3: once their count is cached, the page's statement reads
// the versions and the count is checked after it (customers.Pages.Page),
// one statement fewer, and a customer write in between makes it count
// again. Folding is off by default
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
		asks = append(asks, ask{benchQ2, map[string]any{"first": 20}})
		for _, term := range []string{"%smith%", "%ANNA%", "%example.org%", "%li.w%", "%son1%", "%zzz%"} {
			asks = append(asks, ask{benchQ3, map[string]any{"q": term}})
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
				// Folded first (on a cached count it runs the page before
				// checking the count), then plain first, warm.
				for round := 0; round < 2; round++ {
					var plain, folded []byte
					var plainN, foldedN int64
					if round == 0 {
						folded, foldedN = answer(true, a)
						plain, plainN = answer(false, a)
					} else {
						plain, plainN = answer(false, a)
						folded, foldedN = answer(true, a)
					}
					if !bytes.Equal(plain, folded) {
						t.Fatalf("%s: ask %d (%v): folded answers\n%s\nplain answers\n%s", what, i, a.vars, folded, plain)
					}
					if round == 0 || bytes.Contains(plain, []byte(`"edges":[]`)) {
						continue
					}
					if a.doc == benchQ1 && !subscribed[a.vars["refId"].(string)] {
						continue
					}
					// The versions read rides on the first statement:
					// Q1's customer (a subscription's plan needs the
					// catalog), a page whose count is cached.
					if want := plainN - 1; a.doc != string(getByID) && foldedN != want {
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
		// A customer write moves the customer version: a page whose count
		// was cached counts again, folded or not.
		if _, err := st.DB.ExecContext(t.Context(), "UPDATE customers SET deleted_at = created_at WHERE email LIKE '%smith%' AND deleted_at IS NULL"); err != nil {
			t.Fatal(err)
		}
		compare("after archiving customers")
	})
}
