package nestquery

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// flagFilter is a filter type the schema does not have, to cover boolean
// and integer comparisons on customer columns.
type flagFilter struct {
	And      []*flagFilter                 `json:"and,omitempty"`
	Or       []*flagFilter                 `json:"or,omitempty"`
	Excluded *model.BooleanFieldComparison `json:"excluded,omitempty"`
	Month    *model.IntFieldComparison     `json:"month,omitempty"`
}

var flagSpec = &Spec{Name: "customer", Table: customer.Table, IDColumn: customer.FieldID, Columns: map[string]string{
	"excluded": customer.FieldExcludeFromExperiment,
	"month":    customer.FieldDefaultPaymentExpirationMonth,
}}

func str(s string) *string { return ptr(s) }

func nullCmp() graphql.Omittable[*bool] { return graphql.OmittableOf[*bool](nil) }

func boolCmp(b bool) graphql.Omittable[*bool] { return graphql.OmittableOf(&b) }

func subStatus(s model.SubscriptionStatus) *model.SubscriptionStatus { return &s }

const (
	sAlpha = "alpha"
	sBeta  = "beta"
	sGamma = "gamma"
	sDelta = "Delta"
	sEps   = "eps*[?]"
	sZeta  = "zeta"
)

var allSlugs = []string{sDelta, sAlpha, sBeta, sEps, sGamma, sZeta} // sorted bytewise

func except(drop ...string) []string {
	var out []string
	for _, s := range allSlugs {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestWhere(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s *db.Store) {
		c := s.Client
		env := newEnv(t, ctx, c, "s")
		cs := createCustomers(t, ctx, c, env.ID,
			customerRow{slug: sAlpha, email: str("Alice@Example.com"), name: str("Alice"), created: day(1), excluded: ptr(true), month: ptr(1)},
			customerRow{slug: sBeta, email: str("bob@example.com"), name: str("Bob"), created: day(2), excluded: ptr(false), month: ptr(2)},
			customerRow{slug: sGamma, name: str("carol_x%"), created: day(3), deleted: ptr(day(20))},
			customerRow{slug: sDelta, email: str("dave@EXAMPLE.org"), created: day(4)},
			customerRow{slug: sEps, email: str("eve@example.com"), name: str("Ève"), created: day(5)},
			customerRow{slug: sZeta, email: str("zed@zeta.io"), name: str("carolYxZ"), created: day(6)},
		)
		alpha, beta, gamma, zeta := cs[0], cs[1], cs[2], cs[5]
		// Subscriptions need a plan; its details do not matter here.
		prod := c.Product.Create().SetEnvironmentID(env.ID).SetRefID("p").SaveX(ctx)
		plan := c.Plan.Create().SetEnvironmentID(env.ID).SetRefID("plan").SetDisplayName("Plan").SetProductID(prod.ID).SaveX(ctx)
		sub := func(cu uuid.UUID, ref string, st customersubscription.Status) {
			c.CustomerSubscription.Create().SetEnvironmentID(env.ID).SetCustomerID(cu).SetRefID(ref).SetPlanID(plan.ID).
				SetStatus(st).SetStartDate(day(1)).SaveX(ctx)
		}
		sub(alpha.ID, "sub-a1", customersubscription.StatusACTIVE)
		sub(beta.ID, "sub-b1", customersubscription.StatusCANCELED)
		sub(gamma.ID, "sub-g1", customersubscription.StatusACTIVE)
		sub(gamma.ID, "sub-g2", customersubscription.StatusEXPIRED)
		grant := func(cu uuid.UUID, feature string, end *time.Time) {
			c.PromotionalEntitlement.Create().SetEnvironmentID(env.ID).SetCustomerID(cu).SetFeatureRefID(feature).
				SetGrantPeriod(promotionalentitlement.GrantPeriodCUSTOM).SetStartDate(day(1)).SetNillableEndDate(end).SaveX(ctx)
		}
		grant(alpha.ID, "f1", nil)
		grant(beta.ID, "f1", ptr(day(10)))
		grant(zeta.ID, "f1", ptr(day(20)))

		sqlite := s.Dialect == dialect.SQLite
		type tc struct {
			name   string
			filter *model.CustomerFilter
			want   []string
		}
		sf := func(c model.StringFieldComparison) *model.StringFieldComparison { return &c }
		df := func(c model.DateFieldComparison) *model.DateFieldComparison { return &c }
		uf := func(c model.UUIDFilterComparison) *model.UUIDFilterComparison { return &c }
		bothOr := func(fs ...*model.CustomerFilter) *model.CustomerFilter { return &model.CustomerFilter{Or: fs} }
		bothAnd := func(fs ...*model.CustomerFilter) *model.CustomerFilter { return &model.CustomerFilter{And: fs} }
		unicodeFold := []string{sEps} // PostgreSQL's ILIKE folds É/é
		if sqlite {
			unicodeFold = nil // SQLite folds ASCII only
		}
		cases := []tc{
			{"nil filter", nil, allSlugs},
			{"empty filter", &model.CustomerFilter{}, allSlugs},
			{"empty comparison", &model.CustomerFilter{Email: sf(model.StringFieldComparison{})}, allSlugs},

			// String operators.
			{"eq", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sAlpha)})}, []string{sAlpha}},
			{"neq", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Neq: str(sAlpha)})}, except(sAlpha)},
			{"neq excludes NULL", &model.CustomerFilter{Email: sf(model.StringFieldComparison{Neq: str("bob@example.com")})}, except(sBeta, sGamma)},
			{"gt", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Gt: str(sBeta)})}, []string{sEps, sGamma, sZeta}},
			{"gte", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Gte: str(sBeta)})}, []string{sBeta, sEps, sGamma, sZeta}},
			{"lt", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Lt: str(sBeta)})}, []string{sDelta, sAlpha}},
			{"lte", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Lte: str(sBeta)})}, []string{sDelta, sAlpha, sBeta}},
			{"gte and lt ANDed", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Gte: str("b"), Lt: str("g")})}, []string{sBeta, sEps}},
			{"in", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{In: []string{sAlpha, sGamma, "nope"}})}, []string{sAlpha, sGamma}},
			{"in empty matches nothing", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{In: []string{}})}, nil},
			{"notIn", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{NotIn: []string{sAlpha}})}, except(sAlpha)},
			{"notIn empty matches all", &model.CustomerFilter{Email: sf(model.StringFieldComparison{NotIn: []string{}})}, allSlugs},
			{"notIn excludes NULL", &model.CustomerFilter{Email: sf(model.StringFieldComparison{NotIn: []string{"bob@example.com"}})}, except(sBeta, sGamma)},
			{"like is case-sensitive", &model.CustomerFilter{Email: sf(model.StringFieldComparison{Like: str("%example%")})}, []string{sBeta, sEps}},
			{"iLike is case-insensitive", &model.CustomerFilter{Email: sf(model.StringFieldComparison{ILike: str("%example%")})}, []string{sDelta, sAlpha, sBeta, sEps}},
			{"notLike", &model.CustomerFilter{Email: sf(model.StringFieldComparison{NotLike: str("%example%")})}, []string{sDelta, sAlpha, sZeta}},
			{"notILike", &model.CustomerFilter{Email: sf(model.StringFieldComparison{NotILike: str("%EXAMPLE%")})}, []string{sZeta}},
			{"like exact, wrong case", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("delta")})}, nil},
			{"like exact", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("Delta")})}, []string{sDelta}},
			{"iLike exact", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{ILike: str("dELTA")})}, []string{sDelta}},
			{"like underscore", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("_eta")})}, []string{sBeta, sZeta}},
			{"like wildcards", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str("carol_x%")})}, []string{sGamma, sZeta}},
			{"like escaped wildcards", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str(`carol\_x\%`)})}, []string{sGamma}},
			{"iLike escaped wildcards", &model.CustomerFilter{Name: sf(model.StringFieldComparison{ILike: str(`CAROL\_X%`)})}, []string{sGamma}},
			{"like literal GLOB specials", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("%[?]")})}, []string{sEps}},
			{"like literal question mark", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("eps?%")})}, nil},
			{"like literal star", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Like: str("eps*_?]")})}, []string{sEps}},
			{"iLike GLOB specials", &model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{ILike: str("EPS*[?]")})}, []string{sEps}},
			{"trailing backslash is literal", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str(`carol\`)})}, nil},
			{"like non-ASCII", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str("Ève")})}, []string{sEps}},
			{"like non-ASCII wrong case", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str("ève")})}, nil},
			{"iLike non-ASCII folds on PostgreSQL only", &model.CustomerFilter{Name: sf(model.StringFieldComparison{ILike: str("ève")})}, unicodeFold},
			{"is null", &model.CustomerFilter{Name: sf(model.StringFieldComparison{Is: nullCmp()})}, []string{sDelta}},
			{"isNot null", &model.CustomerFilter{Name: sf(model.StringFieldComparison{IsNot: nullCmp()})}, except(sDelta)},
			{"searchQuery (custom)", &model.CustomerFilter{SearchQuery: &model.CustomerSearchQueryFilterComparison{ILike: str("%ALI%")}}, []string{sAlpha}},
			{"searchQuery over email", &model.CustomerFilter{SearchQuery: &model.CustomerSearchQueryFilterComparison{ILike: str("%zeta.IO")}}, []string{sZeta}},
			{"searchQuery ANDed with a field", &model.CustomerFilter{
				SearchQuery: &model.CustomerSearchQueryFilterComparison{ILike: str("%example%")},
				CustomerID:  sf(model.StringFieldComparison{Neq: str(sDelta)}),
			}, []string{sAlpha, sBeta, sEps}},
			{"searchQuery without iLike", &model.CustomerFilter{SearchQuery: &model.CustomerSearchQueryFilterComparison{}}, allSlugs},

			// Date operators.
			{"date eq", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Eq: ptr(day(3))})}, []string{sGamma}},
			{"date eq in another zone", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Eq: ptr(day(3).In(time.FixedZone("X", 2*3600)))})}, []string{sGamma}},
			{"date neq", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Neq: ptr(day(3))})}, except(sGamma)},
			{"date gt", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Gt: ptr(day(4))})}, []string{sEps, sZeta}},
			{"date gte", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Gte: ptr(day(4))})}, []string{sDelta, sEps, sZeta}},
			{"date lt", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Lt: ptr(day(2))})}, []string{sAlpha}},
			{"date lte", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Lte: ptr(day(2))})}, []string{sAlpha, sBeta}},
			{"date lt sub-second", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Lt: ptr(day(2).Add(time.Microsecond))})}, []string{sAlpha, sBeta}},
			{"date in", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{In: []*time.Time{ptr(day(1)), ptr(day(6))}})}, []string{sAlpha, sZeta}},
			{"date notIn", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{NotIn: []*time.Time{ptr(day(1))}})}, except(sAlpha)},
			{"date between is inclusive", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Between: &model.DateFieldComparisonBetween{Lower: day(2), Upper: day(4)}})}, []string{sDelta, sBeta, sGamma}},
			{"date notBetween", &model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{NotBetween: &model.DateFieldComparisonBetween{Lower: day(2), Upper: day(4)}})}, []string{sAlpha, sEps, sZeta}},
			{"deletedAt is null", &model.CustomerFilter{DeletedAt: df(model.DateFieldComparison{Is: nullCmp()})}, except(sGamma)},
			{"deletedAt isNot null", &model.CustomerFilter{DeletedAt: df(model.DateFieldComparison{IsNot: nullCmp()})}, []string{sGamma}},
			{"deletedAt gt", &model.CustomerFilter{DeletedAt: df(model.DateFieldComparison{Gt: ptr(day(10))})}, []string{sGamma}},

			// UUID operators.
			{"uuid eq", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{Eq: &alpha.ID})}, []string{sAlpha}},
			{"uuid neq", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{Neq: &alpha.ID})}, except(sAlpha)},
			{"uuid in", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{In: []uuid.UUID{alpha.ID, beta.ID}})}, []string{sAlpha, sBeta}},
			{"uuid notIn", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{NotIn: []uuid.UUID{alpha.ID, beta.ID}})}, except(sAlpha, sBeta)},
			{"uuid gte/lte", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{Gte: &alpha.ID, Lte: &alpha.ID})}, []string{sAlpha}},
			{"uuid like", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{Like: &alpha.ID})}, []string{sAlpha}},
			{"uuid iLike", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{ILike: &alpha.ID})}, []string{sAlpha}},
			{"uuid notLike", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{NotLike: &alpha.ID})}, except(sAlpha)},
			{"uuid is null", &model.CustomerFilter{ID: uf(model.UUIDFilterComparison{Is: nullCmp()})}, nil},
			{"environmentId eq", &model.CustomerFilter{EnvironmentID: uf(model.UUIDFilterComparison{Eq: &env.ID})}, allSlugs},

			// and / or.
			{"or", bothOr(
				&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sAlpha)})},
				&model.CustomerFilter{Email: sf(model.StringFieldComparison{Is: nullCmp()})},
			), []string{sAlpha, sGamma}},
			{"empty and / or add nothing", &model.CustomerFilter{And: []*model.CustomerFilter{}, Or: []*model.CustomerFilter{}}, allSlugs},
			{"or ANDed with fields", &model.CustomerFilter{
				Or: []*model.CustomerFilter{
					{CustomerID: sf(model.StringFieldComparison{Eq: str(sAlpha)})},
					{CustomerID: sf(model.StringFieldComparison{Eq: str(sBeta)})},
				},
				Email: sf(model.StringFieldComparison{Like: str("%example%")}),
			}, []string{sBeta}},
			{"3 levels", bothOr(
				bothAnd(
					bothOr(
						&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sAlpha)})},
						&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sBeta)})},
					),
					&model.CustomerFilter{Email: sf(model.StringFieldComparison{Like: str("%example%")})},
				),
				bothAnd(&model.CustomerFilter{Name: sf(model.StringFieldComparison{Is: nullCmp()})}),
			), []string{sDelta, sBeta}},
			{"4 levels", bothAnd(
				bothOr(
					bothAnd(
						&model.CustomerFilter{CreatedAt: df(model.DateFieldComparison{Gte: ptr(day(2))})},
						bothOr(
							&model.CustomerFilter{Email: sf(model.StringFieldComparison{ILike: str("%example.com")})},
							&model.CustomerFilter{Name: sf(model.StringFieldComparison{Like: str("carol%")})},
						),
					),
				),
				&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Neq: str(sZeta)})},
			), []string{sBeta, sEps, sGamma}},

			// Relations: any related row matches.
			{"subscription status", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{Eq: subStatus(model.SubscriptionStatusActive)},
			}}, []string{sAlpha, sGamma}},
			{"subscription status in", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{In: []model.SubscriptionStatus{model.SubscriptionStatusCanceled, model.SubscriptionStatusExpired}},
			}}, []string{sBeta, sGamma}},
			{"subscription enum like", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{Like: subStatus("ACT%")},
			}}, []string{sAlpha, sGamma}},
			{"subscription enum iLike", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{ILike: subStatus("act%")},
			}}, []string{sAlpha, sGamma}},
			{"one subscription must match all", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{Eq: subStatus(model.SubscriptionStatusExpired)},
				RefID:  sf(model.StringFieldComparison{Eq: str("sub-g1")}),
			}}, nil},
			{"subscription and/or inside", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Or: []*model.CustomerFilterCustomerSubscriptionFilter{
					{RefID: sf(model.StringFieldComparison{Eq: str("sub-b1")})},
					{RefID: sf(model.StringFieldComparison{Like: str("sub-g%")}), Status: &model.SubscriptionStatusFilterComparison{Eq: subStatus(model.SubscriptionStatusExpired)}},
				},
			}}, []string{sBeta, sGamma}},
			{"any subscription", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{}}, []string{sAlpha, sBeta, sGamma}},
			{"relation in or", bothOr(
				&model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
					Status: &model.SubscriptionStatusFilterComparison{Eq: subStatus(model.SubscriptionStatusCanceled)},
				}},
				&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sDelta)})},
			), []string{sDelta, sBeta}},
			{"relation empty in matches nothing", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
				Status: &model.SubscriptionStatusFilterComparison{In: []model.SubscriptionStatus{}},
			}}, nil},
			{"promotional entitlement active (custom in relation)", &model.CustomerFilter{PromotionalEntitlements: &model.CustomerFilterPromotionalEntitlementFilter{
				Status: &model.PromotionalEntitlementStatusFilterComparison{Eq: ptr(model.PromotionalEntitlementStatusActive)},
			}}, []string{sAlpha, sZeta}},
			{"promotional entitlement expired", &model.CustomerFilter{PromotionalEntitlements: &model.CustomerFilterPromotionalEntitlementFilter{
				Status: &model.PromotionalEntitlementStatusFilterComparison{Eq: ptr(model.PromotionalEntitlementStatusExpired)},
			}}, []string{sBeta}},
			{"two relations", &model.CustomerFilter{
				Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
					Status: &model.SubscriptionStatusFilterComparison{Eq: subStatus(model.SubscriptionStatusActive)},
				},
				PromotionalEntitlements: &model.CustomerFilterPromotionalEntitlementFilter{
					Status: &model.PromotionalEntitlementStatusFilterComparison{Eq: ptr(model.PromotionalEntitlementStatusActive)},
				},
			}, []string{sAlpha}},
		}
		envAt := Env{Now: day(15)}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := customerSpec.Where(tc.filter, envAt)
				if err != nil {
					t.Fatalf("Where: %v", err)
				}
				if got := slugs(t, ctx, c, p); !slices.Equal(got, tc.want) {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}
		// The same answers with every column's iLike run as
		// lower(col) LIKE lower(pattern) on PostgreSQL (Spec.LowerILike):
		// what ILIKE computes, non-ASCII folding and uuid casts included.
		lowered := *customerSpec
		lowered.LowerILike = map[string]bool{}
		for _, col := range customerColumns {
			lowered.LowerILike[col] = true
		}
		for _, tc := range cases {
			t.Run("LowerILike "+tc.name, func(t *testing.T) {
				p, err := lowered.Where(tc.filter, envAt)
				if err != nil {
					t.Fatalf("Where: %v", err)
				}
				if got := slugs(t, ctx, c, p); !slices.Equal(got, tc.want) {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}
		if !sqlite {
			p, err := lowered.Where(&model.CustomerFilter{Name: sf(model.StringFieldComparison{ILike: str("ève")})}, envAt)
			if err != nil {
				t.Fatal(err)
			}
			sel := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table(customer.Table))
			p(sel)
			if q, _ := sel.Query(); !strings.Contains(q, `lower("customers"."name") LIKE lower($1)`) {
				t.Errorf("LowerILike renders %s", q)
			}
		}

		bf := func(c model.BooleanFieldComparison) *model.BooleanFieldComparison { return &c }
		nf := func(c model.IntFieldComparison) *model.IntFieldComparison { return &c }
		flagCases := []struct {
			name   string
			filter *flagFilter
			want   []string
		}{
			{"is true", &flagFilter{Excluded: bf(model.BooleanFieldComparison{Is: boolCmp(true)})}, []string{sAlpha}},
			{"is false", &flagFilter{Excluded: bf(model.BooleanFieldComparison{Is: boolCmp(false)})}, []string{sBeta}},
			{"is null", &flagFilter{Excluded: bf(model.BooleanFieldComparison{Is: nullCmp()})}, except(sAlpha, sBeta)},
			{"isNot true", &flagFilter{Excluded: bf(model.BooleanFieldComparison{IsNot: boolCmp(true)})}, except(sAlpha)},
			{"isNot false", &flagFilter{Excluded: bf(model.BooleanFieldComparison{IsNot: boolCmp(false)})}, except(sBeta)},
			{"isNot null", &flagFilter{Excluded: bf(model.BooleanFieldComparison{IsNot: nullCmp()})}, []string{sAlpha, sBeta}},
			{"int eq", &flagFilter{Month: nf(model.IntFieldComparison{Eq: ptr(2)})}, []string{sBeta}},
			{"int gt", &flagFilter{Month: nf(model.IntFieldComparison{Gt: ptr(1)})}, []string{sBeta}},
			{"int in", &flagFilter{Month: nf(model.IntFieldComparison{In: []int{1, 2, 3}})}, []string{sAlpha, sBeta}},
			{"int between", &flagFilter{Month: nf(model.IntFieldComparison{Between: &model.IntFieldComparisonBetween{Lower: 1, Upper: 1}})}, []string{sAlpha}},
			{"int notBetween", &flagFilter{Month: nf(model.IntFieldComparison{NotBetween: &model.IntFieldComparisonBetween{Lower: 2, Upper: 5}})}, []string{sAlpha}},
			{"or of booleans", &flagFilter{Or: []*flagFilter{
				{Excluded: bf(model.BooleanFieldComparison{Is: boolCmp(true)})},
				{Month: nf(model.IntFieldComparison{Eq: ptr(2)})},
			}}, []string{sAlpha, sBeta}},
		}
		for _, tc := range flagCases {
			t.Run("flag/"+tc.name, func(t *testing.T) {
				p, err := flagSpec.Where(tc.filter, Env{})
				if err != nil {
					t.Fatalf("Where: %v", err)
				}
				if got := slugs(t, ctx, c, p); !slices.Equal(got, tc.want) {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}

		// The predicate composes with ent's own predicates and ordering.
		t.Run("composes with ent predicates", func(t *testing.T) {
			p, err := customerSpec.Where(bothOr(
				&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sAlpha)})},
				&model.CustomerFilter{CustomerID: sf(model.StringFieldComparison{Eq: str(sBeta)})},
			), Env{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Customer.Query().
				Where(customer.CustomerIDNEQ(sBeta), func(s *sql.Selector) { p(s) }, customer.DeletedAtIsNil()).
				Select(customer.FieldCustomerID).Strings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []string{sAlpha}) {
				t.Errorf("got %q, want [alpha]: the OR must stay parenthesised", got)
			}
		})
	})
}

func TestWhereErrors(t *testing.T) {
	deep := &model.CustomerFilter{}
	f := deep
	for range MaxFilterDepth + 5 {
		f.And = []*model.CustomerFilter{{}}
		f = f.And[0]
	}
	f.Email = &model.StringFieldComparison{Eq: str("x")}
	many := make([]string, MaxInValues+1)
	for i := range many {
		many[i] = "x"
	}
	wide := &model.CustomerFilter{}
	for range MaxFilterConditions + 1 {
		wide.Or = append(wide.Or, &model.CustomerFilter{Email: &model.StringFieldComparison{Eq: str("x")}})
	}
	cases := []struct {
		name   string
		filter any
		msg    string
	}{
		{"unknown field", &model.CustomerFilter{CrmHubspotCompanyID: &model.StringFieldComparison{Eq: str("x")}}, "filtering on customer.crmHubspotCompanyId is not supported"},
		{"unknown field nested", &model.CustomerFilter{Or: []*model.CustomerFilter{{CrmHubspotCompanyURL: &model.StringFieldComparison{}}}}, "filtering on customer.crmHubspotCompanyUrl is not supported"},
		{"unknown relation field", &model.CustomerFilter{Subscriptions: &model.CustomerFilterCustomerSubscriptionFilter{
			BillingCycleAnchor: &model.DateFieldComparison{Eq: ptr(day(1))},
		}}, "filtering on subscription.billingCycleAnchor is not supported"},
		{"is true on a string", &model.CustomerFilter{Name: &model.StringFieldComparison{Is: boolCmp(true)}}, "is/isNot accept only null for field name"},
		{"isNot false on a date", &model.CustomerFilter{DeletedAt: &model.DateFieldComparison{IsNot: boolCmp(false)}}, "is/isNot accept only null for field deletedAt"},
		{"too deep", deep, "nested too deeply"},
		{"too many in values", &model.CustomerFilter{Email: &model.StringFieldComparison{In: many}}, "at most 1000 values"},
		{"too many conditions", wide, "too complex"},
		{"NUL in string", &model.CustomerFilter{Email: &model.StringFieldComparison{Eq: str("a\x00b")}}, "NUL"},
		{"invalid UTF-8", &model.CustomerFilter{Email: &model.StringFieldComparison{Like: str("a\xffb")}}, "UTF-8"},
		{"pattern too long", &model.CustomerFilter{Email: &model.StringFieldComparison{Like: str(strings.Repeat("%", MaxPatternLength+1))}}, "too long"},
		{"null in a date list", &model.CustomerFilter{CreatedAt: &model.DateFieldComparison{In: []*time.Time{nil}}}, "does not accept null"},
		{"custom error", &model.CustomerFilter{PromotionalEntitlements: &model.CustomerFilterPromotionalEntitlementFilter{
			Status: &model.PromotionalEntitlementStatusFilterComparison{Neq: ptr(model.PromotionalEntitlementStatusActive)},
		}}, "only eq is supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := customerSpec.Where(tc.filter, Env{})
			wantBadInput(t, err, tc.msg)
		})
	}
	t.Run("not a struct", func(t *testing.T) {
		if _, err := customerSpec.Where(42, Env{}); err == nil {
			t.Fatal("want an error for a non-struct filter")
		}
	})
}

func TestMentions(t *testing.T) {
	del := &model.DateFieldComparison{Is: nullCmp()}
	cases := []struct {
		name   string
		filter any
		want   bool
	}{
		{"nil", nil, false},
		{"typed nil", (*model.CustomerFilter)(nil), false},
		{"absent", &model.CustomerFilter{Email: &model.StringFieldComparison{}}, false},
		{"top level", &model.CustomerFilter{DeletedAt: del}, true},
		{"value struct", model.CustomerFilter{DeletedAt: del}, true},
		{"in and", &model.CustomerFilter{And: []*model.CustomerFilter{{}, {DeletedAt: del}}}, true},
		{"in or in and", &model.CustomerFilter{Or: []*model.CustomerFilter{{And: []*model.CustomerFilter{{DeletedAt: del}}}}}, true},
		{"other field", &model.CustomerFilter{CreatedAt: &model.DateFieldComparison{}}, false},
	}
	for _, tc := range cases {
		if got := Mentions(tc.filter, "deletedAt"); got != tc.want {
			t.Errorf("%s: Mentions = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLikePattern(t *testing.T) {
	cases := []struct{ in, like, glob string }{
		{"abc", "abc", "abc"},
		{"a%b_c", "a%b_c", "a*b?c"},
		{`a\%b\_c\\`, `a\%b\_c\\`, `a%b_c\`},
		{`tail\`, `tail\\`, `tail\`},
		{"*?[]", "*?[]", "[*][?][[]]"},
		{"é_%", "é_%", "é?*"},
	}
	for _, tc := range cases {
		p := parseLike(tc.in)
		if got := p.like(); got != tc.like {
			t.Errorf("like(%q) = %q, want %q", tc.in, got, tc.like)
		}
		if got := p.glob(); got != tc.glob {
			t.Errorf("glob(%q) = %q, want %q", tc.in, got, tc.glob)
		}
	}
}
