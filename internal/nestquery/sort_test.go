package nestquery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

func TestSort(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s *db.Store) {
		c := s.Client
		env := newEnv(t, ctx, c, "s")
		createCustomers(t, ctx, c, env.ID,
			customerRow{slug: sAlpha, email: str("Alice@Example.com"), created: day(1)},
			customerRow{slug: sBeta, email: str("bob@example.com"), created: day(2)},
			customerRow{slug: sGamma, created: day(3)},
			customerRow{slug: sDelta, email: str("dave@EXAMPLE.org"), created: day(2)},
			customerRow{slug: sEps, created: day(1)},
		)
		cases := []struct {
			name    string
			sorting []*model.CustomerSort
			want    []string
		}{
			{"asc default nulls last", []*model.CustomerSort{sortBy(model.CustomerSortFieldsEmail, model.SortDirectionAsc)},
				[]string{sAlpha, sBeta, sDelta, "?", "?"}},
			{"asc nulls first", []*model.CustomerSort{sortBy(model.CustomerSortFieldsEmail, model.SortDirectionAsc, model.SortNullsNullsFirst)},
				[]string{"?", "?", sAlpha, sBeta, sDelta}},
			{"desc default nulls first", []*model.CustomerSort{sortBy(model.CustomerSortFieldsEmail, model.SortDirectionDesc)},
				[]string{"?", "?", sDelta, sBeta, sAlpha}},
			{"desc nulls last", []*model.CustomerSort{sortBy(model.CustomerSortFieldsEmail, model.SortDirectionDesc, model.SortNullsNullsLast)},
				[]string{sDelta, sBeta, sAlpha, "?", "?"}},
			{"two keys", []*model.CustomerSort{
				sortBy(model.CustomerSortFieldsCreatedAt, model.SortDirectionDesc),
				sortBy(model.CustomerSortFieldsCustomerID, model.SortDirectionAsc),
			}, []string{sGamma, sDelta, sBeta, sAlpha, sEps}},
			{"nulls placement then key", []*model.CustomerSort{
				sortBy(model.CustomerSortFieldsEmail, model.SortDirectionAsc, model.SortNullsNullsFirst),
				sortBy(model.CustomerSortFieldsCustomerID, model.SortDirectionDesc),
			}, []string{sGamma, sEps, sAlpha, sBeta, sDelta}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				keys, err := customerSpec.Sort(tc.sorting, nil)
				if err != nil {
					t.Fatal(err)
				}
				prev := keys[len(keys)-2]
				if last := keys[len(keys)-1]; last.Column != "id" || last.Desc != prev.Desc {
					t.Errorf("last key = %+v, want id in the direction of %+v", last, prev)
				}
				got := ordered(t, ctx, c, keys)
				// "?" marks rows whose relative order is left to the id tie-breaker.
				nulls := []string{sEps, sGamma} // sorted
				var gotNulls []string
				for i, w := range tc.want {
					if w == "?" {
						gotNulls = append(gotNulls, got[i])
						continue
					}
					if got[i] != w {
						t.Fatalf("got %q, want %q", got, tc.want)
					}
				}
				slices.Sort(gotNulls)
				if len(gotNulls) > 0 && !slices.Equal(gotNulls, nulls) {
					t.Fatalf("got %q, want the NULL emails %q where ? is", got, nulls)
				}
			})
		}
	})
}

func TestSortKeys(t *testing.T) {
	def := []SortKey{{Column: "created_at", Desc: true, NullsFirst: true}}
	cases := []struct {
		name    string
		sorting any
		want    []SortKey
	}{
		{"nil uses defaults", nil, []SortKey{def[0], {Column: "id", Desc: true, NullsFirst: true}}},
		{"typed nil uses defaults", []*model.CustomerSort(nil), []SortKey{def[0], {Column: "id", Desc: true, NullsFirst: true}}},
		{"null entries skipped", []*model.CustomerSort{nil}, []SortKey{def[0], {Column: "id", Desc: true, NullsFirst: true}}},
		{"asc", []*model.CustomerSort{sortBy("email", "ASC")}, []SortKey{{Column: "email"}, {Column: "id"}}},
		{"desc", []*model.CustomerSort{sortBy("email", "DESC")}, []SortKey{{Column: "email", Desc: true, NullsFirst: true}, {Column: "id", Desc: true, NullsFirst: true}}},
		{"explicit nulls", []*model.CustomerSort{sortBy("email", "ASC", "NULLS_FIRST"), sortBy("name", "DESC", "NULLS_LAST")},
			[]SortKey{{Column: "email", NullsFirst: true}, {Column: "name", Desc: true}, {Column: "id", Desc: true, NullsFirst: true}}},
		{"id already sorted", []*model.CustomerSort{sortBy("id", "DESC"), sortBy("email", "ASC")},
			[]SortKey{{Column: "id", Desc: true, NullsFirst: true}, {Column: "email"}}},
		{"duplicates dropped", []*model.CustomerSort{sortBy("refId", "ASC"), sortBy("customerId", "DESC")},
			[]SortKey{{Column: "customer_id"}, {Column: "id"}}},
	}
	for _, tc := range cases {
		got, err := customerSpec.Sort(tc.sorting, def)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}

	errCases := []struct {
		name    string
		sorting any
		msg     string
	}{
		{"unknown field", []*model.CustomerSort{sortBy("crmHubspotCompanyId", "ASC")}, "sorting on customer.crmHubspotCompanyId is not supported"},
		{"computed field", []*model.CustomerSort{sortBy("searchQuery", "ASC")}, "sorting on customer.searchQuery is not supported"},
		{"bad direction", []*model.CustomerSort{sortBy("email", "UP")}, "ASC or DESC"},
		{"bad nulls", []*model.CustomerSort{sortBy("email", "ASC", "NULLS_MIDDLE")}, "NULLS_FIRST or NULLS_LAST"},
	}
	for _, tc := range errCases {
		_, err := customerSpec.Sort(tc.sorting, def)
		t.Run(tc.name, func(t *testing.T) { wantBadInput(t, err, tc.msg) })
	}
}

func TestOrderBySQL(t *testing.T) {
	keys := []SortKey{{Column: "email", Desc: true, NullsFirst: true}, {Column: "id"}}
	for _, tc := range []struct {
		reverse bool
		want    string
	}{
		{false, "SELECT * FROM `customers` ORDER BY `customers`.`email` DESC NULLS FIRST, `customers`.`id` ASC NULLS LAST"},
		{true, "SELECT * FROM `customers` ORDER BY `customers`.`email` ASC NULLS LAST, `customers`.`id` DESC NULLS FIRST"},
	} {
		s := sql.Dialect("sqlite3").Select().From(sql.Dialect("sqlite3").Table("customers"))
		for _, o := range OrderBy(keys, tc.reverse) {
			o(s)
		}
		if got, _ := s.Query(); got != tc.want {
			t.Errorf("reverse=%v:\n got %s\nwant %s", tc.reverse, got, tc.want)
		}
	}
}

// pagingRow is a generated customer for the paging tests.
func pagingRow(r *rand.Rand, slug string) customerRow {
	// Times with and without fractions, at microsecond precision (what
	// PostgreSQL stores), with plenty of ties.
	created := day(1 + r.IntN(4)).Add(time.Duration(r.IntN(3)) * 500 * time.Millisecond)
	if r.IntN(3) == 0 {
		created = created.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
	}
	row := customerRow{slug: slug, created: created}
	if r.IntN(4) != 0 {
		row.email = str(fmt.Sprintf("u%d@x.io", r.IntN(6)))
	}
	if r.IntN(3) != 0 {
		row.name = str(fmt.Sprintf("n%d", r.IntN(5)))
	}
	if r.IntN(5) == 0 {
		row.deleted = ptr(day(20 + r.IntN(2)))
	}
	return row
}

var pagingSorts = []struct {
	name    string
	sorting []*model.CustomerSort
}{
	{"default", nil},
	{"createdAt desc", []*model.CustomerSort{sortBy("createdAt", "DESC")}},
	{"email asc", []*model.CustomerSort{sortBy("email", "ASC")}},
	{"email asc nulls first", []*model.CustomerSort{sortBy("email", "ASC", "NULLS_FIRST")}},
	{"email desc", []*model.CustomerSort{sortBy("email", "DESC")}},
	{"name desc nulls last, createdAt", []*model.CustomerSort{sortBy("name", "DESC", "NULLS_LAST"), sortBy("createdAt", "ASC")}},
	{"deletedAt nulls first, email desc nulls last", []*model.CustomerSort{
		sortBy("deletedAt", "ASC", "NULLS_FIRST"), sortBy("email", "DESC", "NULLS_LAST"),
	}},
	{"id desc", []*model.CustomerSort{sortBy("id", "DESC")}},
}
