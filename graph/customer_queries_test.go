package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

type connection struct {
	Customers struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage     bool    `json:"hasNextPage"`
			HasPreviousPage bool    `json:"hasPreviousPage"`
			StartCursor     *string `json:"startCursor"`
			EndCursor       *string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []struct {
			Cursor string       `json:"cursor"`
			Node   customerJSON `json:"node"`
		} `json:"edges"`
	} `json:"customers"`
}

const customersQuery = `query($filter: CustomerFilter, $paging: CursorPaging, $sorting: [CustomerSort!]) {
	customers(filter: $filter, paging: $paging, sorting: $sorting) {
		totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id customerId name email createdAt deletedAt } }
	}
}`

func listCustomers(t *testing.T, s *apitest.Server, key string, vars map[string]any) connection {
	t.Helper()
	var c connection
	s.QueryAs(key, customersQuery, vars, &c)
	return c
}

func slugsOf(c connection) []string {
	out := []string{}
	for _, e := range c.Customers.Edges {
		out = append(out, e.Node.CustomerID)
	}
	return out
}

// seedCustomers creates customers c0..c(n-1) one second apart.
func seedCustomers(t *testing.T, s *apitest.Server, rows []map[string]any) {
	t.Helper()
	for _, r := range rows {
		provision(t, s, s.Key, r)
		s.Clock.Advance(time.Second)
	}
}

func TestCustomerFilters(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		seedCustomers(t, s, []map[string]any{
			{"customerId": "alpha", "name": "Alpha Corp", "email": "ops@alpha.io"},
			{"customerId": "beta", "name": "beta labs", "email": "Team@Beta.io"},
			{"customerId": "gamma", "name": "Gamma"},
			{"customerId": "delta", "email": "d@delta.dev", "billingId": "cus_d"},
			{"customerId": "Epsilon", "name": "Epsilon_1"},
		})
		all := listCustomers(t, s, s.Key, map[string]any{"sorting": []any{map[string]any{"field": "customerId", "direction": "ASC"}}})
		ids := map[string]string{}
		created := map[string]string{}
		for _, e := range all.Customers.Edges {
			ids[e.Node.CustomerID] = e.Node.ID
			created[e.Node.CustomerID] = e.Node.CreatedAt
		}
		byID := map[string]any{"field": "customerId", "direction": "ASC"}
		cases := []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			// String operators on customerId / name / email.
			{"eq", map[string]any{"customerId": map[string]any{"eq": "beta"}}, []string{"beta"}},
			{"neq", map[string]any{"customerId": map[string]any{"neq": "beta"}}, []string{"Epsilon", "alpha", "delta", "gamma"}},
			{"gt", map[string]any{"customerId": map[string]any{"gt": "delta"}}, []string{"gamma"}},
			{"gte", map[string]any{"customerId": map[string]any{"gte": "delta"}}, []string{"delta", "gamma"}},
			{"lt", map[string]any{"customerId": map[string]any{"lt": "beta"}}, []string{"Epsilon", "alpha"}},
			{"lte", map[string]any{"customerId": map[string]any{"lte": "beta"}}, []string{"Epsilon", "alpha", "beta"}},
			{"in", map[string]any{"customerId": map[string]any{"in": []string{"alpha", "gamma", "nope"}}}, []string{"alpha", "gamma"}},
			{"notIn", map[string]any{"customerId": map[string]any{"notIn": []string{"alpha", "gamma"}}}, []string{"Epsilon", "beta", "delta"}},
			{"like is case-sensitive", map[string]any{"name": map[string]any{"like": "%a%"}}, []string{"Epsilon", "alpha", "beta", "gamma"}[1:4]},
			{"like underscore", map[string]any{"name": map[string]any{"like": "Epsilon_1"}}, []string{"Epsilon"}},
			{"notLike", map[string]any{"name": map[string]any{"notLike": "%a%"}}, []string{"Epsilon"}},
			{"iLike", map[string]any{"email": map[string]any{"iLike": "%BETA%"}}, []string{"beta"}},
			{"notILike", map[string]any{"email": map[string]any{"notILike": "%.IO"}}, []string{"delta"}},
			{"is null", map[string]any{"email": map[string]any{"is": nil}}, []string{"Epsilon", "gamma"}},
			{"isNot null", map[string]any{"name": map[string]any{"isNot": nil}}, []string{"Epsilon", "alpha", "beta", "gamma"}},
			// Date operators on createdAt.
			{"date eq", map[string]any{"createdAt": map[string]any{"eq": created["beta"]}}, []string{"beta"}},
			{"date neq", map[string]any{"createdAt": map[string]any{"neq": created["beta"]}}, []string{"Epsilon", "alpha", "delta", "gamma"}},
			{"date gt", map[string]any{"createdAt": map[string]any{"gt": created["gamma"]}}, []string{"Epsilon", "delta"}},
			{"date gte", map[string]any{"createdAt": map[string]any{"gte": created["gamma"]}}, []string{"Epsilon", "delta", "gamma"}},
			{"date lt", map[string]any{"createdAt": map[string]any{"lt": created["beta"]}}, []string{"alpha"}},
			{"date lte", map[string]any{"createdAt": map[string]any{"lte": created["beta"]}}, []string{"alpha", "beta"}},
			{"date in", map[string]any{"createdAt": map[string]any{"in": []string{created["alpha"], created["delta"]}}}, []string{"alpha", "delta"}},
			{"date notIn", map[string]any{"createdAt": map[string]any{"notIn": []string{created["alpha"], created["delta"]}}}, []string{"Epsilon", "beta", "gamma"}},
			{"date between", map[string]any{"createdAt": map[string]any{"between": map[string]any{"lower": created["beta"], "upper": created["delta"]}}}, []string{"beta", "delta", "gamma"}},
			{"date notBetween", map[string]any{"createdAt": map[string]any{"notBetween": map[string]any{"lower": created["beta"], "upper": created["delta"]}}}, []string{"Epsilon", "alpha"}},
			{"date is null", map[string]any{"deletedAt": map[string]any{"is": nil}}, []string{"Epsilon", "alpha", "beta", "delta", "gamma"}},
			// UUID operators on id.
			{"uuid eq", map[string]any{"id": map[string]any{"eq": ids["gamma"]}}, []string{"gamma"}},
			{"uuid neq", map[string]any{"id": map[string]any{"neq": ids["gamma"]}}, []string{"Epsilon", "alpha", "beta", "delta"}},
			{"uuid in", map[string]any{"id": map[string]any{"in": []string{ids["alpha"], ids["beta"]}}}, []string{"alpha", "beta"}},
			{"uuid notIn", map[string]any{"id": map[string]any{"notIn": []string{ids["alpha"], ids["beta"]}}}, []string{"Epsilon", "delta", "gamma"}},
			{"uuid isNot null", map[string]any{"id": map[string]any{"isNot": nil}}, []string{"Epsilon", "alpha", "beta", "delta", "gamma"}},
			{"uuid like", map[string]any{"id": map[string]any{"like": ids["delta"]}}, []string{"delta"}},
			{"uuid iLike", map[string]any{"id": map[string]any{"iLike": ids["delta"]}}, []string{"delta"}},
			// Nesting.
			{"or", map[string]any{"or": []any{
				map[string]any{"customerId": map[string]any{"eq": "alpha"}},
				map[string]any{"email": map[string]any{"is": nil}},
			}}, []string{"Epsilon", "alpha", "gamma"}},
			{"and in or in and", map[string]any{"and": []any{
				map[string]any{"or": []any{
					map[string]any{"and": []any{
						map[string]any{"name": map[string]any{"isNot": nil}},
						map[string]any{"email": map[string]any{"isNot": nil}},
					}},
					map[string]any{"billingId": map[string]any{"eq": "cus_d"}},
				}},
				map[string]any{"customerId": map[string]any{"neq": "alpha"}},
			}}, []string{"beta", "delta"}},
			{"searchQuery", map[string]any{"searchQuery": map[string]any{"iLike": "%ALPH%"}}, []string{"alpha"}},
			{"searchQuery email", map[string]any{"searchQuery": map[string]any{"iLike": "%delta.dev%"}}, []string{"delta"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := listCustomers(t, s, s.Key, map[string]any{"filter": tc.filter, "sorting": []any{byID}})
				want := append([]string{}, tc.want...)
				if !slices.Equal(slugsOf(got), want) {
					t.Fatalf("got %v, want %v", slugsOf(got), want)
				}
				if got.Customers.TotalCount != len(want) {
					t.Fatalf("totalCount = %d, want %d", got.Customers.TotalCount, len(want))
				}
			})
		}
	})
}

func TestCustomerRelationFilters(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		seedCustomers(t, s, []map[string]any{{"customerId": "a"}, {"customerId": "b"}, {"customerId": "c"}})
		ctx := t.Context()
		env := mustEnvID(t, s)
		cust := func(slug string) uuid.UUID {
			c, _ := getCustomer(t, s, s.Key, slug)
			return uuid.MustParse(c.ID)
		}
		now := s.Clock.Now()
		s.LoadDemoCatalog()
		plan := s.Store.Client.Plan.Query().FirstX(ctx)
		subIDs := map[string]string{}
		mk := func(slug, ref string, status customersubscription.Status) {
			sub, err := s.Store.Client.CustomerSubscription.Create().SetEnvironmentID(env).SetCustomerID(cust(slug)).
				SetRefID(ref).SetPlanID(plan.ID).SetStatus(status).SetStartDate(now).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			subIDs[sub.ID.String()] = ref
		}
		mk("a", "sub-a1", customersubscription.StatusACTIVE)
		mk("a", "sub-a2", customersubscription.StatusCANCELED)
		mk("b", "sub-b1", customersubscription.StatusCANCELED)
		end := now.Add(24 * time.Hour)
		for _, g := range []struct {
			slug string
			end  *time.Time
		}{{"b", &end}, {"c", nil}} {
			if _, err := s.Store.Client.PromotionalEntitlement.Create().SetEnvironmentID(env).SetCustomerID(cust(g.slug)).
				SetFeatureRefID("feature-x").SetGrantPeriod(promotionalentitlement.GrantPeriodONE_WEEK).
				SetStartDate(now).SetNillableEndDate(g.end).Save(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sortByID := []any{map[string]any{"field": "customerId", "direction": "ASC"}}
		check := func(filter map[string]any, want ...string) {
			t.Helper()
			got := listCustomers(t, s, s.Key, map[string]any{"filter": filter, "sorting": sortByID})
			if !slices.Equal(slugsOf(got), append([]string{}, want...)) {
				t.Fatalf("filter %v: got %v, want %v", filter, slugsOf(got), want)
			}
		}
		check(map[string]any{"subscriptions": map[string]any{"status": map[string]any{"eq": "ACTIVE"}}}, "a")
		check(map[string]any{"subscriptions": map[string]any{"status": map[string]any{"eq": "CANCELED"}}}, "a", "b")
		check(map[string]any{"subscriptions": map[string]any{"subscriptionId": map[string]any{"eq": "sub-b1"}}}, "b")
		check(map[string]any{"promotionalEntitlements": map[string]any{"status": map[string]any{"eq": "Active"}}}, "b", "c")
		// The grant of b ends in a day: the clock decides its status.
		s.Clock.Advance(25 * time.Hour)
		check(map[string]any{"promotionalEntitlements": map[string]any{"status": map[string]any{"eq": "Active"}}}, "c")
		check(map[string]any{"promotionalEntitlements": map[string]any{"status": map[string]any{"eq": "Expired"}}}, "b")
		check(map[string]any{"or": []any{
			map[string]any{"subscriptions": map[string]any{"status": map[string]any{"eq": "ACTIVE"}}},
			map[string]any{"promotionalEntitlements": map[string]any{"id": map[string]any{"isNot": nil}}},
		}}, "a", "b", "c")

		// Customer.subscriptions: default filter (active and in trial) and explicit ones.
		var out struct {
			GetCustomerByRefID struct {
				Active []struct {
					ID string `json:"id"`
				} `json:"subscriptions"`
				All []struct {
					ID string `json:"id"`
				} `json:"all"`
			} `json:"getCustomerByRefId"`
		}
		s.Query(`{ getCustomerByRefId(input: {customerId: "a"}) {
			subscriptions { id }
			all: subscriptions(filter: {}, sorting: [{field: subscriptionId, direction: DESC}]) { id } } }`, nil, &out)
		if len(out.GetCustomerByRefID.Active) != 1 || subIDs[out.GetCustomerByRefID.Active[0].ID] != "sub-a1" {
			t.Fatalf("default subscriptions: %+v", out)
		}
		if len(out.GetCustomerByRefID.All) != 2 || subIDs[out.GetCustomerByRefID.All[0].ID] != "sub-a2" {
			t.Fatalf("all subscriptions: %+v", out)
		}
	})
}

func TestCustomerSortingWithNulls(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		seedCustomers(t, s, []map[string]any{
			{"customerId": "n1", "email": "b@x.io"},
			{"customerId": "n2"},
			{"customerId": "n3", "email": "a@x.io"},
			{"customerId": "n4"},
		})
		cases := []struct {
			sort []any
			want []string
		}{
			{[]any{map[string]any{"field": "email", "direction": "ASC"}}, []string{"n3", "n1", "n2", "n4"}},
			{[]any{map[string]any{"field": "email", "direction": "ASC", "nulls": "NULLS_FIRST"}}, []string{"n2", "n4", "n3", "n1"}},
			{[]any{map[string]any{"field": "email", "direction": "DESC"}}, []string{"n4", "n2", "n1", "n3"}},
			{[]any{map[string]any{"field": "email", "direction": "DESC", "nulls": "NULLS_LAST"}}, []string{"n1", "n3", "n4", "n2"}},
			{[]any{map[string]any{"field": "email", "direction": "DESC", "nulls": "NULLS_LAST"}, map[string]any{"field": "customerId", "direction": "ASC"}}, []string{"n1", "n3", "n2", "n4"}},
			{nil, []string{"n4", "n3", "n2", "n1"}}, // default: newest first
		}
		for i, tc := range cases {
			got := listCustomers(t, s, s.Key, map[string]any{"sorting": tc.sort})
			// Equal emails (NULLs) are ordered by id in the direction of the
			// last key; compare only where order is defined.
			if g := slugsOf(got); !sameOrderModuloNullTies(g, tc.want) {
				t.Fatalf("case %d: got %v, want %v", i, g, tc.want)
			}
			// Paging one by one through the same order yields the same list.
			var paged []string
			var after any
			for {
				vars := map[string]any{"sorting": tc.sort, "paging": map[string]any{"first": 1, "after": after}}
				p := listCustomers(t, s, s.Key, vars)
				paged = append(paged, slugsOf(p)...)
				if !p.Customers.PageInfo.HasNextPage {
					break
				}
				after = *p.Customers.PageInfo.EndCursor
			}
			if !slices.Equal(paged, slugsOf(got)) {
				t.Fatalf("case %d: paged %v, listed %v", i, paged, slugsOf(got))
			}
		}
	})
}

// sameOrderModuloNullTies compares orders where n2 and n4 (both without
// email) may come in either order relative to each other.
func sameOrderModuloNullTies(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] && !((got[i] == "n2" || got[i] == "n4") && (want[i] == "n2" || want[i] == "n4")) {
			return false
		}
	}
	return true
}

func TestCustomerPaging(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		rows := []map[string]any{}
		for i := 0; i < 25; i++ {
			rows = append(rows, map[string]any{"customerId": fmt.Sprintf("p%02d", i)})
		}
		seedCustomers(t, s, rows)
		asc := []any{map[string]any{"field": "createdAt", "direction": "ASC"}}

		// Default page size is 10; totalCount counts the filter, not the page.
		first := listCustomers(t, s, s.Key, map[string]any{"sorting": asc})
		if len(first.Customers.Edges) != 10 || first.Customers.TotalCount != 25 || !first.Customers.PageInfo.HasNextPage || first.Customers.PageInfo.HasPreviousPage {
			t.Fatalf("first page: %d edges, total %d, info %+v", len(first.Customers.Edges), first.Customers.TotalCount, first.Customers.PageInfo)
		}

		// Forward across a boundary with inserts in between.
		p1 := listCustomers(t, s, s.Key, map[string]any{"sorting": asc, "paging": map[string]any{"first": 7}})
		end := *p1.Customers.PageInfo.EndCursor
		// Inserted after the cursor's position (newer) and "before" it is
		// impossible with createdAt, so insert new rows: they land at the end.
		seedCustomers(t, s, []map[string]any{{"customerId": "late1"}, {"customerId": "late2"}})
		p2 := listCustomers(t, s, s.Key, map[string]any{"sorting": asc, "paging": map[string]any{"first": 7, "after": end}})
		if got := slugsOf(p2); !slices.Equal(got, []string{"p07", "p08", "p09", "p10", "p11", "p12", "p13"}) {
			t.Fatalf("second page: %v", got)
		}
		if !p2.Customers.PageInfo.HasPreviousPage || !p2.Customers.PageInfo.HasNextPage || p2.Customers.TotalCount != 27 {
			t.Fatalf("second page info: %+v total %d", p2.Customers.PageInfo, p2.Customers.TotalCount)
		}

		// Backward: last/before walks back across the same boundary.
		b1 := listCustomers(t, s, s.Key, map[string]any{"sorting": asc, "paging": map[string]any{"last": 5, "before": *p2.Customers.PageInfo.StartCursor}})
		if got := slugsOf(b1); !slices.Equal(got, []string{"p02", "p03", "p04", "p05", "p06"}) {
			t.Fatalf("backward page: %v", got)
		}
		if !b1.Customers.PageInfo.HasPreviousPage || !b1.Customers.PageInfo.HasNextPage {
			t.Fatalf("backward info: %+v", b1.Customers.PageInfo)
		}
		// Newest-first (the default) with inserts at the front: a cursor keeps
		// its place; new rows do not shift the next page.
		d1 := listCustomers(t, s, s.Key, map[string]any{"paging": map[string]any{"first": 5}})
		seedCustomers(t, s, []map[string]any{{"customerId": "newest"}})
		d2 := listCustomers(t, s, s.Key, map[string]any{"paging": map[string]any{"first": 5, "after": *d1.Customers.PageInfo.EndCursor}})
		if got := slugsOf(d2); !slices.Equal(got, []string{"p21", "p20", "p19", "p18", "p17"}) {
			t.Fatalf("newest-first second page after insert: %v (first %v)", got, slugsOf(d1))
		}
		// last without before: the final page.
		tail := listCustomers(t, s, s.Key, map[string]any{"sorting": asc, "paging": map[string]any{"last": 2}})
		if got := slugsOf(tail); !slices.Equal(got, []string{"late2", "newest"}) {
			t.Fatalf("last page: %v", got)
		}

		// Errors.
		for _, bad := range []map[string]any{
			{"first": 101}, {"last": 101}, {"first": -1}, {"first": 1, "last": 1},
			{"after": "not-a-cursor"}, {"after": "eyJ4IjoxfQ"},
		} {
			s.Fail("BadUserInput", customersQuery, map[string]any{"paging": bad})
		}
		// A cursor made for another sorting is refused.
		s.Fail("BadUserInput", customersQuery, map[string]any{"paging": map[string]any{"after": end}})
		if r := listCustomers(t, s, s.Key, map[string]any{"paging": map[string]any{"first": 100}}); len(r.Customers.Edges) != 28 {
			t.Fatalf("first: 100 gave %d", len(r.Customers.Edges))
		}
	})
}

func TestArchivedCustomersHiddenUnlessAsked(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		seedCustomers(t, s, []map[string]any{{"customerId": "live"}, {"customerId": "gone"}})
		s.Query(`mutation { archiveCustomer(input: {customerId: "gone"}) { id } }`, nil, nil)
		if got := slugsOf(listCustomers(t, s, s.Key, nil)); !slices.Equal(got, []string{"live"}) {
			t.Fatalf("archived visible: %v", got)
		}
		got := listCustomers(t, s, s.Key, map[string]any{"filter": map[string]any{"deletedAt": map[string]any{"isNot": nil}}})
		if !slices.Equal(slugsOf(got), []string{"gone"}) || got.Customers.TotalCount != 1 {
			t.Fatalf("archived filter: %v", slugsOf(got))
		}
	})
}

func TestUnsupportedFilterFieldIsAnError(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.Fail("GRAPHQL_VALIDATION_FAILED", `{ customers(filter: {nope: {eq: "x"}}) { totalCount } }`, nil)
		s.Fail("BadUserInput", customersQuery, map[string]any{"filter": map[string]any{"customerId": map[string]any{"is": true}}})
		s.Fail("BadUserInput", customersQuery, map[string]any{"sorting": []any{map[string]any{"field": "bogus", "direction": "ASC"}}})
	})
}

// TestEnvironmentIsolation: a key of environment A never reads or writes a
// customer of environment B, through any query or mutation.
func TestEnvironmentIsolation(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		keyB := s.NewKey("env-b")
		provision(t, s, s.Key, map[string]any{"customerId": "shared", "name": "A's"})
		provision(t, s, s.Key, map[string]any{"customerId": "only-a", "name": "A only"})
		b := provision(t, s, keyB, map[string]any{"customerId": "shared", "name": "B's"})

		// Reads.
		if got := slugsOf(listCustomers(t, s, keyB, nil)); !slices.Equal(got, []string{"shared"}) {
			t.Fatalf("B lists %v", got)
		}
		got, _ := getCustomer(t, s, keyB, "shared")
		if got.ID != b.ID || *got.Name != "B's" {
			t.Fatalf("B reads %+v", got)
		}
		filterByID := map[string]any{"filter": map[string]any{"customerId": map[string]any{"eq": "only-a"}}}
		if c := listCustomers(t, s, keyB, filterByID); len(c.Customers.Edges) != 0 || c.Customers.TotalCount != 0 {
			t.Fatalf("B sees A's customer via filter")
		}
		s.FailAs(keyB, "CustomerNotFound", `{ getCustomerByRefId(input: {customerId: "only-a"}) { id } }`, nil)
		var subs struct {
			CustomerSubscriptions   struct{ TotalCount int } `json:"customerSubscriptions"`
			PromotionalEntitlements struct{ TotalCount int } `json:"promotionalEntitlements"`
		}
		s.QueryAs(keyB, `{ customerSubscriptions { totalCount } promotionalEntitlements { totalCount } }`, nil, &subs)

		// Writes: every mutation addressed by slug misses A's customer.
		for _, m := range []string{
			`mutation { updateOneCustomer(input: {customerId: "only-a", name: "pwned"}) { id } }`,
			`mutation { archiveCustomer(input: {customerId: "only-a"}) { id } }`,
			`mutation { attachCustomerPaymentMethod(input: {customerId: "only-a", paymentMethodId: "pm", vendorIdentifier: STRIPE}) { id } }`,
			`mutation { detachCustomerPaymentMethod(input: {customerId: "only-a"}) { id } }`,
		} {
			s.FailAs(keyB, "CustomerNotFound", m, nil)
		}
		s.Query(`mutation { archiveCustomer(input: {customerId: "only-a"}) { id } }`, nil, nil)
		s.FailAs(keyB, "CustomerNotFound", `mutation { unarchiveCustomer(input: {customerId: "only-a"}) { id } }`, nil)
		// Imports from B create in B, never touch A.
		s.QueryAs(keyB, `mutation { importOneCustomer(input: {customerId: "only-a", name: "B import"}) { id } }`, nil, nil)
		s.QueryAs(keyB, `mutation { importCustomersBulk(input: {customers: [{customerId: "bulk-b"}]}) }`, nil, nil)
		s.Query(`mutation { unarchiveCustomer(input: {customerId: "only-a"}) { id } }`, nil, nil)
		a, _ := getCustomer(t, s, s.Key, "only-a")
		if a.Name != nil { // archive cleared it; B's import must not have set it
			t.Fatalf("A's customer changed by B: %+v", a)
		}
		sharedA, _ := getCustomer(t, s, s.Key, "shared")
		if *sharedA.Name != "A's" {
			t.Fatalf("A's shared customer changed: %+v", sharedA)
		}
		if got := slugsOf(listCustomers(t, s, s.Key, map[string]any{"sorting": []any{map[string]any{"field": "customerId", "direction": "ASC"}}})); !slices.Equal(got, []string{"only-a", "shared"}) {
			t.Fatalf("A lists %v", got)
		}
		raw, _ := json.Marshal(subs)
		_ = raw
	})
}

func mustEnvID(t *testing.T, s *apitest.Server) uuid.UUID {
	t.Helper()
	env, err := s.Store.Client.Environment.Query().First(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return env.ID
}
