package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestPipelinedAnswersAsPlain: on PostgreSQL the request's first
// statement (getCustomerByRefId's customer) also reads the environment's
// versions (store.Versions.FoldInto), one round trip fewer, and
// getCustomerByRefId reads its customer, the versions and the lists under
// it (subscriptions, grants) in one batch, one round trip
// (graph/pipeline.go, customers.Reads.CustomerWith). Every answer is the
// same, byte for byte, read plain, folded and pipelined, in every order:
// Q1, the official client's GetCustomerById and an unknown customer, each
// asked cold and warm, before and after a catalog write; a warm Q1 of a
// customer with subscriptions sends one statement fewer folded and takes
// one round trip pipelined. Likewise the customers pages of Q2 and Q3:
// once their count is cached, the page's statement reads the versions and
// the count is checked after it (customers.Pages.Page), one statement
// fewer, and a customer write in between makes it count again. Folding
// and pipelining are off on SQLite (a statement costs no round trip there)
// but it answers the same, so both databases run the comparison.
func TestPipelinedAnswersAsPlain(t *testing.T) {
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
		// Three ways to read: plain (each statement on its own), folded
		// (the versions read rides on the first statement) and pipelined
		// (folded, and a customer's lists read with it in one batch,
		// graph/pipeline.go: PostgreSQL only; on SQLite it is folded).
		type mode struct {
			name             string
			fold, pipelining bool
		}
		plainMode, foldedMode, pipelinedMode := mode{"plain", false, false}, mode{"folded", true, false}, mode{"pipelined", true, true}
		type answered struct {
			body                   []byte
			statements, roundTrips int64
		}
		answer := func(m mode, a ask) answered {
			t.Helper()
			s.Resolver.SetVersionFolding(m.fold)
			s.Resolver.SetPipelining(m.pipelining)
			c.Reset()
			r := s.Raw(s.Key, a.doc, a.vars)
			got := answered{statements: c.Count(), roundTrips: c.RoundTrips()}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got.body = b
			return got
		}
		orders := [][]mode{{foldedMode, pipelinedMode, plainMode}, {plainMode, foldedMode, pipelinedMode}, {pipelinedMode, plainMode, foldedMode}}
		compare := func(what string) {
			t.Helper()
			for i, a := range asks {
				// Each order, cold then warm: a cached count or catalog
				// read first by one path is used by the next.
				for round, order := range orders {
					got := map[string]answered{}
					for _, m := range order {
						got[m.name] = answer(m, a)
					}
					plain, folded, pipelined := got["plain"], got["folded"], got["pipelined"]
					for _, other := range []string{"folded", "pipelined"} {
						if !bytes.Equal(plain.body, got[other].body) {
							t.Fatalf("%s: ask %d (%v): %s answers\n%s\nplain answers\n%s", what, i, a.vars, other, got[other].body, plain.body)
						}
					}
					if round == 0 || bytes.Contains(plain.body, []byte(`"edges":[]`)) {
						continue
					}
					isQ1, isGetByID := a.doc == benchQ1, a.doc == string(getByID)
					if isQ1 && !subscribed[a.vars["refId"].(string)] {
						continue
					}
					// The versions read rides on the first statement:
					// Q1's customer (a subscription's plan needs the
					// catalog), a page whose count is cached.
					if want := plain.statements - 1; !isGetByID && folded.statements != want {
						t.Fatalf("%s: warm ask %d sent %d statements folded, %d plain; want %d folded", what, i, folded.statements, plain.statements, want)
					}
					if st.Dialect != dialect.Postgres {
						continue
					}
					// Pipelined, a warm Q1 is one round trip, and the
					// official client's GetCustomerById saves the round
					// trips of the lists read with the customer.
					if isQ1 && pipelined.roundTrips != 1 {
						t.Fatalf("%s: warm Q1 took %d round trips pipelined (%d statements); want 1", what, pipelined.roundTrips, pipelined.statements)
					}
					if isGetByID && subscribed[a.vars["input"].(map[string]any)["customerId"].(string)] && pipelined.roundTrips >= folded.roundTrips {
						t.Fatalf("%s: warm GetCustomerById took %d round trips pipelined, %d folded; want fewer", what, pipelined.roundTrips, folded.roundTrips)
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
