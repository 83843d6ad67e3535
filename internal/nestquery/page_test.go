package nestquery

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

type fetchFunc = func(ctx context.Context, cursor func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.Customer, error)

// customerFetch is how a resolver wires Paginate to an ent query.
func customerFetch(c *ent.Client, where func(*sql.Selector)) fetchFunc {
	return func(ctx context.Context, cursor func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.Customer, error) {
		q := c.Customer.Query()
		if where != nil {
			q.Where(predicate.Customer(where))
		}
		if cursor != nil {
			q.Where(predicate.Customer(cursor))
		}
		for _, o := range order {
			q.Order(customer.OrderOption(o))
		}
		return q.Limit(limit).All(ctx)
	}
}

func sortBy(field model.CustomerSortFields, dir model.SortDirection, nulls ...model.SortNulls) *model.CustomerSort {
	s := &model.CustomerSort{Field: field, Direction: dir}
	if len(nulls) > 0 {
		s.Nulls = &nulls[0]
	}
	return s
}

// ordered returns the slugs of all customers in the order of keys.
func ordered(t *testing.T, ctx context.Context, c *ent.Client, keys []SortKey) []string {
	t.Helper()
	q := c.Customer.Query()
	for _, o := range OrderBy(keys, false) {
		q.Order(customer.OrderOption(o))
	}
	got, err := q.Select(customer.FieldCustomerID).Strings(ctx)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	return got
}

var defaultCustomerSort = []SortKey{{Column: customer.FieldCreatedAt}}

func TestPaginate(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s *db.Store) {
		c := s.Client
		for si, sc := range pagingSorts {
			t.Run(sc.name, func(t *testing.T) {
				// A fresh environment per sort, filtered on, keeps the runs apart.
				env := newEnv(t, ctx, c, fmt.Sprintf("env%d", si))
				r := rand.New(rand.NewPCG(uint64(si), 7))
				var rows []customerRow
				for i := range 23 {
					rows = append(rows, pagingRow(r, fmt.Sprintf("c%02d", i)))
				}
				createCustomers(t, ctx, c, env.ID, rows...)
				inEnv := func(s *sql.Selector) { s.Where(sql.EQ(s.C(customer.FieldEnvironmentID), env.ID)) }
				fetch := customerFetch(c, inEnv)
				keys, err := customerSpec.Sort(sc.sorting, defaultCustomerSort)
				if err != nil {
					t.Fatal(err)
				}
				values := ValuesByColumn[*ent.Customer](keys)
				full := func() []string {
					all, err := fetch(ctx, nil, OrderBy(keys, false), 1000)
					if err != nil {
						t.Fatal(err)
					}
					out := make([]string, len(all))
					for i, cu := range all {
						out[i] = cu.CustomerID
					}
					return out
				}
				want := full()
				page := func(req PageRequest) *Page[*ent.Customer] {
					t.Helper()
					p, err := Paginate(ctx, req, keys, values, fetch)
					if err != nil {
						t.Fatalf("Paginate(%+v): %v", req, err)
					}
					if len(p.Items) != len(p.Cursors) {
						t.Fatalf("%d items, %d cursors", len(p.Items), len(p.Cursors))
					}
					return p
				}
				slugsOf := func(items []*ent.Customer) []string {
					out := make([]string, len(items))
					for i, cu := range items {
						out[i] = cu.CustomerID
					}
					return out
				}

				t.Run("forward", func(t *testing.T) {
					var got []string
					req := PageRequest{First: ptr(4)}
					for n := 0; ; n++ {
						p := page(req)
						got = append(got, slugsOf(p.Items)...)
						if p.HasPreviousPage != (n > 0) {
							t.Errorf("page %d: hasPreviousPage = %v", n, p.HasPreviousPage)
						}
						if !p.HasNextPage {
							break
						}
						if n > 10 {
							t.Fatal("too many pages")
						}
						req.After = p.EndCursor
					}
					if !slices.Equal(got, want) {
						t.Errorf("forward pages\n got %q\nwant %q", got, want)
					}
				})

				t.Run("backward", func(t *testing.T) {
					var got []string
					req := PageRequest{Last: ptr(4)}
					for n := 0; ; n++ {
						p := page(req)
						got = append(slugsOf(p.Items), got...)
						if p.HasNextPage != (n > 0) {
							t.Errorf("page %d: hasNextPage = %v", n, p.HasNextPage)
						}
						if !p.HasPreviousPage {
							break
						}
						if n > 10 {
							t.Fatal("too many pages")
						}
						req.Before = p.StartCursor
					}
					if !slices.Equal(got, want) {
						t.Errorf("backward pages\n got %q\nwant %q", got, want)
					}
				})

				t.Run("windows", func(t *testing.T) {
					all := page(PageRequest{First: ptr(MaxPageSize)})
					if got := slugsOf(all.Items); !slices.Equal(got, want) {
						t.Fatalf("one page: got %q, want %q", got, want)
					}
					if all.HasNextPage || all.HasPreviousPage {
						t.Errorf("one page: hasNext %v, hasPrevious %v", all.HasNextPage, all.HasPreviousPage)
					}
					cur := all.Cursors
					check := func(name string, req PageRequest, want []string, next, prev bool) {
						t.Helper()
						p := page(req)
						if got := slugsOf(p.Items); !slices.Equal(got, want) {
							t.Errorf("%s: got %q, want %q", name, got, want)
						}
						if p.HasNextPage != next || p.HasPreviousPage != prev {
							t.Errorf("%s: hasNext %v hasPrevious %v, want %v %v", name, p.HasNextPage, p.HasPreviousPage, next, prev)
						}
						if len(p.Items) > 0 && (*p.StartCursor != p.Cursors[0] || *p.EndCursor != p.Cursors[len(p.Cursors)-1]) {
							t.Errorf("%s: start/end cursors do not match the edges", name)
						}
						if len(p.Items) == 0 && (p.StartCursor != nil || p.EndCursor != nil) {
							t.Errorf("%s: empty page with cursors", name)
						}
					}
					check("default size", PageRequest{}, want[:DefaultPageSize], true, false)
					check("first 0", PageRequest{First: ptr(0)}, []string{}, true, false)
					check("after", PageRequest{After: &cur[2], First: ptr(3)}, want[3:6], true, true)
					check("after to the end", PageRequest{After: &cur[19], First: ptr(5)}, want[20:], false, true)
					check("after the last", PageRequest{After: &cur[22]}, []string{}, false, true)
					check("before, default size", PageRequest{Before: &cur[12]}, want[2:12], true, true)
					check("before the first", PageRequest{Before: &cur[0], Last: ptr(3)}, []string{}, true, false)
					check("last", PageRequest{Last: ptr(3)}, want[20:], false, true)
					check("window first", PageRequest{After: &cur[3], Before: &cur[10], First: ptr(100)}, want[4:10], false, true)
					check("window first, more", PageRequest{After: &cur[3], Before: &cur[10], First: ptr(2)}, want[4:6], true, true)
					check("window last (after with last)", PageRequest{After: &cur[3], Before: &cur[10], Last: ptr(2)}, want[8:10], true, true)
					check("after with last", PageRequest{After: &cur[3], Last: ptr(2)}, want[21:], false, true)
					check("before with first", PageRequest{Before: &cur[5], First: ptr(2)}, want[0:2], true, false)
				})

				t.Run("forward with inserts", func(t *testing.T) {
					testInserts(t, ctx, c, env.ID, r, keys, values, fetch, full, false)
				})
				t.Run("backward with inserts", func(t *testing.T) {
					testInserts(t, ctx, c, env.ID, r, keys, values, fetch, full, true)
				})
			})
		}
	})
}

// testInserts pages through the list while inserting rows between page
// fetches, then checks that no row was returned twice and that exactly the
// rows sorting after the reader's position at insertion time (before it,
// when reading backward) were seen, along with every row that existed.
func testInserts(t *testing.T, ctx context.Context, c *ent.Client, envID uuid.UUID, r *rand.Rand,
	keys []SortKey, values func(*ent.Customer) []any, fetch fetchFunc, full func() []string, backward bool,
) {
	before := full()
	type insert struct {
		slug string
		at   string // the reader's position (the page's edge row) when inserted
	}
	var inserts []insert
	var got []string
	req := PageRequest{First: ptr(3)}
	if backward {
		req = PageRequest{Last: ptr(3)}
	}
	for n := 0; ; n++ {
		p, err := Paginate(ctx, req, keys, values, fetch)
		if err != nil {
			t.Fatal(err)
		}
		var edge string
		if backward {
			for i := len(p.Items) - 1; i >= 0; i-- {
				got = append(got, p.Items[i].CustomerID)
			}
			if len(p.Items) > 0 {
				edge = p.Items[0].CustomerID
			}
		} else {
			for _, cu := range p.Items {
				got = append(got, cu.CustomerID)
			}
			if len(p.Items) > 0 {
				edge = p.Items[len(p.Items)-1].CustomerID
			}
		}
		more := p.HasNextPage
		if backward {
			more = p.HasPreviousPage
		}
		if !more {
			break
		}
		if n > 30 {
			t.Fatal("too many pages")
		}
		for k := range 2 {
			slug := fmt.Sprintf("ins%v-%d-%d", backward, n, k)
			createCustomers(t, ctx, c, envID, pagingRow(r, slug))
			inserts = append(inserts, insert{slug: slug, at: edge})
		}
		if backward {
			req.Before = p.StartCursor
		} else {
			req.After = p.EndCursor
		}
	}
	if backward {
		slices.Reverse(got)
	}
	final := full()
	pos := map[string]int{}
	for i, s := range final {
		pos[s] = i
	}
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Fatalf("row %s returned twice: %q", s, got)
		}
		seen[s] = true
	}
	for _, s := range before {
		if !seen[s] {
			t.Errorf("existing row %s was skipped", s)
		}
	}
	for _, in := range inserts {
		ahead := pos[in.slug] > pos[in.at]
		if backward {
			ahead = pos[in.slug] < pos[in.at]
		}
		if seen[in.slug] != ahead {
			t.Errorf("inserted row %s (at %d, reader at %s = %d): seen %v, want %v", in.slug, pos[in.slug], in.at, pos[in.at], seen[in.slug], ahead)
		}
	}
	// What was read is in list order.
	for i := 1; i < len(got); i++ {
		if pos[got[i-1]] > pos[got[i]] {
			t.Fatalf("rows out of order: %s before %s", got[i-1], got[i])
		}
	}
}

func TestPaginateErrors(t *testing.T) {
	ctx := context.Background()
	keys := []SortKey{{Column: "created_at"}, {Column: "id"}}
	emailKeys := []SortKey{{Column: "email"}, {Column: "id"}}
	good, err := EncodeCursor(keys, []any{day(1), uuid.New()})
	if err != nil {
		t.Fatal(err)
	}
	emailCursor, _ := EncodeCursor(emailKeys, []any{"a@b.c", uuid.New()})
	descCursor, _ := EncodeCursor([]SortKey{{Column: "created_at", Desc: true, NullsFirst: true}, {Column: "id"}}, []any{day(1), uuid.New()})
	b64 := func(s string) *string { return ptr(base64.RawURLEncoding.EncodeToString([]byte(s))) }
	id := uuid.NewString()
	cases := []struct {
		name string
		req  PageRequest
		msg  string
	}{
		{"first too big", PageRequest{First: ptr(101)}, "first must not exceed 100"},
		{"last too big", PageRequest{Last: ptr(1000)}, "last must not exceed 100"},
		{"first negative", PageRequest{First: ptr(-1)}, "first must not be negative"},
		{"last negative", PageRequest{Last: ptr(-5)}, "last must not be negative"},
		{"first and last", PageRequest{First: ptr(1), Last: ptr(1)}, "cannot be used together"},
		{"not base64", PageRequest{After: ptr("!!!")}, "cursor is malformed"},
		{"padded base64", PageRequest{After: ptr(base64.URLEncoding.EncodeToString([]byte(`{"k":[],"v":[]}`)))}, "cursor is malformed"},
		{"empty", PageRequest{After: ptr("")}, "cursor is malformed"},
		{"not JSON", PageRequest{Before: b64("hello")}, "cursor is malformed"},
		{"empty JSON", PageRequest{After: b64("{}")}, "cursor is malformed"},
		{"unknown field", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":[null,null],"x":1}`)}, "cursor is malformed"},
		{"trailing data", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":[null,null]}{}`)}, "cursor is malformed"},
		{"length mismatch", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":[null]}`)}, "cursor is malformed"},
		{"bad tag", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":["x1","u` + id + `"]}`)}, "cursor is malformed"},
		{"bad time", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":["tyesterday","u` + id + `"]}`)}, "cursor is malformed"},
		{"bad uuid", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":[null,"unope"]}`)}, "cursor is malformed"},
		{"wrong value type", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":["s2024","u` + id + `"]}`)}, "cursor is malformed"},
		{"wrong id type", PageRequest{After: b64(`{"k":["ALcreated_at","ALid"],"v":[null,"i5"]}`)}, "cursor is malformed"},
		{"other sorting", PageRequest{After: &emailCursor}, "cursor does not match the requested sorting"},
		{"other direction", PageRequest{Before: &descCursor}, "cursor does not match the requested sorting"},
		{"fewer keys", PageRequest{After: b64(`{"k":["ALid"],"v":[null]}`)}, "cursor does not match the requested sorting"},
		{"bad before with good after", PageRequest{After: &good, Before: ptr("x")}, "cursor is malformed"},
	}
	values := ValuesByColumn[*ent.Customer](keys)
	fetch := func(context.Context, func(*sql.Selector), []func(*sql.Selector), int) ([]*ent.Customer, error) {
		t.Fatal("fetch called despite invalid input")
		return nil, nil
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Paginate(ctx, tc.req, keys, values, fetch)
			wantBadInput(t, err, tc.msg)
		})
	}
	t.Run("valid cursor reaches fetch", func(t *testing.T) {
		called := false
		_, err := Paginate(ctx, PageRequest{After: &good, First: ptr(5)}, keys, values,
			func(_ context.Context, cursor func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.Customer, error) {
				called = true
				if cursor == nil || len(order) != 2 || limit != 6 {
					t.Fatalf("cursor %v, %d order terms, limit %d", cursor != nil, len(order), limit)
				}
				// created_at and id are NOT NULL (non-pointer fields): no NULLS
				// clause, so SQLite can walk the (environment_id, created_at, id)
				// index, and no IS NULL branch in the cursor predicate.
				d := sql.Dialect("sqlite3")
				s := d.Select().From(d.Table("customers"))
				cursor(s)
				for _, o := range order {
					o(s)
				}
				q, args := s.Query()
				want := "SELECT * FROM `customers` WHERE (`customers`.`created_at` > ? OR (`customers`.`created_at` = ? AND `customers`.`id` > ?))" +
					" ORDER BY `customers`.`created_at` ASC, `customers`.`id` ASC"
				if q != want || len(args) != 3 {
					t.Errorf("query\n got %s %v\nwant %s", q, args, want)
				}
				return nil, nil
			})
		if err != nil || !called {
			t.Fatalf("err %v, called %v", err, called)
		}
	})
}

func TestFromCursorPaging(t *testing.T) {
	after := "abc"
	got := FromCursorPaging(&model.CursorPaging{First: ptr(3), After: &after})
	if got.First == nil || *got.First != 3 || got.After == nil || *got.After != "abc" || got.Last != nil || got.Before != nil {
		t.Errorf("got %+v", got)
	}
	if got := FromCursorPaging((*model.CursorPaging)(nil)); got != (PageRequest{}) {
		t.Errorf("nil: got %+v", got)
	}
	if got := FromCursorPaging(nil); got != (PageRequest{}) {
		t.Errorf("untyped nil: got %+v", got)
	}
}

func TestValuesByColumn(t *testing.T) {
	keys := []SortKey{{Column: "email"}, {Column: "created_at"}, {Column: "id"}, {Column: "deleted_at"}, {Column: "default_payment_expiration_month"}}
	id := uuid.New()
	cu := &ent.Customer{ID: id, Email: str("e@x.io"), CreatedAt: day(2), DefaultPaymentExpirationMonth: ptr(7)}
	got := ValuesByColumn[*ent.Customer](keys)(cu)
	want := []any{"e@x.io", day(2), id, nil, 7}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d (%s) = %#v, want %#v", i, keys[i].Column, got[i], want[i])
		}
	}
	cur, err := EncodeCursor(keys, got)
	if err != nil {
		t.Fatal(err)
	}
	kinds, notNull := columnKinds(reflect.TypeFor[*ent.Customer](), keys)
	if want := []bool{false, true, true, false, false}; !slices.Equal(notNull, want) {
		t.Errorf("notNull = %v, want %v", notNull, want)
	}
	back, err := DecodeCursor("after", cur, keys, kinds)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := []any{"e@x.io", day(2), id, nil, int64(7)}
	for i := range wantBack {
		if back[i] != wantBack[i] {
			t.Errorf("decoded %d = %#v, want %#v", i, back[i], wantBack[i])
		}
	}

	missing := ValuesByColumn[*ent.Customer]([]SortKey{{Column: "no_such_column"}})
	if _, err := EncodeCursor([]SortKey{{Column: "no_such_column"}}, missing(cu)); err == nil {
		t.Error("want an error encoding a column the entity lacks")
	}
}
