package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestDemoCatalogIsValidAndRich(t *testing.T) {
	f, err := catalog.Demo()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, ft := range f.Features {
		types[ft.Type] = true
	}
	var free, trial, inherits bool
	for _, p := range f.Plans {
		free = free || len(p.Prices) == 0
		trial = trial || p.Trial != nil && len(p.Prices) > 0
		inherits = inherits || p.BasePlan != ""
	}
	if len(f.Products) < 2 || len(f.Features) < 4 || len(types) < 3 || len(f.Plans) < 4 || !free || !trial || !inherits || len(f.Addons) < 2 || len(f.Coupons) < 2 {
		t.Fatalf("demo catalog is too thin: %d products, %d features (%v), %d plans (free %v, trial %v, inherits %v), %d addons, %d coupons",
			len(f.Products), len(f.Features), types, len(f.Plans), free, trial, inherits, len(f.Addons), len(f.Coupons))
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		sum, err := catalog.Load(ctx, st.Client, now, "")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Created["plans"] != 5 || sum.Created["addons"] != 2 || sum.Created["coupons"] != 2 {
			t.Fatalf("first load: %s", sum)
		}
		pro := st.Client.Plan.Query().Where(plan.RefID("plan-revvenu-pro")).WithBasePlan().WithCompatibleAddons().WithPrices().WithEntitlements().OnlyX(ctx)
		if pro.Edges.BasePlan == nil || pro.Edges.BasePlan.RefID != "plan-revvenu-basic" || len(pro.Edges.CompatibleAddons) != 2 ||
			len(pro.Edges.Prices) != 4 || len(pro.Edges.Entitlements) != 3 || pro.PricingType != plan.PricingTypePAID || pro.VersionNumber != 1 {
			t.Fatalf("pro plan: %+v", pro)
		}
		again, err := catalog.Load(ctx, st.Client, now.Add(time.Hour), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Created)+len(again.Updated)+len(again.Archived)+len(again.Deleted) != 0 {
			t.Fatalf("second load changed something: %s", again)
		}
		pro2 := st.Client.Plan.Query().Where(plan.RefID("plan-revvenu-pro")).OnlyX(ctx)
		if pro2.ID != pro.ID || !pro2.UpdatedAt.Equal(pro.UpdatedAt) {
			t.Fatalf("reload rewrote the plan")
		}
	})
}

// TestReloadChangesAndArchives edits the demo: a changed plan gets a new
// version, a removed unused plan is deleted, a removed plan with a
// subscription is archived, not deleted.
func TestReloadChangesAndArchives(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := catalog.Load(ctx, st.Client, now, ""); err != nil {
			t.Fatal(err)
		}
		basic := st.Client.Plan.Query().Where(plan.RefID("plan-revvenu-basic")).OnlyX(ctx)
		cu := st.Client.Customer.Create().SetEnvironmentID(basic.EnvironmentID).SetCustomerID("c1").SaveX(ctx)
		st.Client.CustomerSubscription.Create().SetEnvironmentID(basic.EnvironmentID).SetCustomerID(cu.ID).SetRefID("s1").
			SetPlanID(basic.ID).SetStartDate(now).SaveX(ctx)

		src := string(catalog.DemoSource())
		// Drop the Insights product and its plans, and Basic (in use) and
		// Pro (inherits from Basic); change the free plan's seats.
		cut := func(s, from, to string) string {
			i, j := strings.Index(s, from), strings.Index(s, to)
			if i < 0 || j < i {
				t.Fatalf("demo catalog changed shape: %q..%q", from, to)
			}
			return s[:i] + s[j:]
		}
		src = cut(src, "  - refId: product-insights", "\nfeatures:")
		src = cut(src, "  - refId: plan-revvenu-basic", "  - refId: plan-insights-starter")
		src = cut(src, "  - refId: plan-insights-starter", "\naddons:")
		src = strings.Replace(src, "{feature: feature-seats, usageLimit: 2}", "{feature: feature-seats, usageLimit: 3}", 1)
		f, err := catalog.Parse("edited.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := catalog.Apply(ctx, st.Client, now.Add(time.Hour), f)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Archived["plans"] != 1 || sum.Deleted["plans"] != 3 || sum.Updated["plans"] != 1 || sum.Deleted["products"] != 1 {
			t.Fatalf("summary: %s", sum)
		}
		got := st.Client.Plan.GetX(ctx, basic.ID)
		if got.Status != plan.StatusARCHIVED {
			t.Fatalf("plan in use should be archived, is %s", got.Status)
		}
		free := st.Client.Plan.Query().Where(plan.RefID("plan-revvenu-free"), plan.IsLatest(true)).WithEntitlements().OnlyX(ctx)
		if free.VersionNumber != 2 {
			t.Fatalf("changed plan should be version 2, is %d", free.VersionNumber)
		}
		if n := st.Client.Product.Query().Where(product.RefID("product-insights")).CountX(ctx); n != 0 {
			t.Fatalf("unused product should be deleted")
		}
		// Loading the full demo again brings Basic back.
		if _, err := catalog.Load(ctx, st.Client, now.Add(2*time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		if got := st.Client.Plan.GetX(ctx, basic.ID); got.Status != plan.StatusPUBLISHED {
			t.Fatalf("plan back in the file should be published, is %s", got.Status)
		}
	})
}

func TestBadFiles(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"syntax", "products: [", "invalid YAML/JSON"},
		{"unknown field", "products:\n  - refId: p\n    colour: red\n", "colour"},
		{"duplicate refId", "products:\n  - {refId: p}\n  - {refId: p}\n", `products[1] (p): duplicate product refId "p"`},
		{"unknown feature", "products: [{refId: p}]\nplans:\n  - refId: a\n    product: p\n    displayName: A\n    entitlements: [{feature: nope}]\n",
			`plans[0] (a).entitlements[0]: unknown feature refId "nope"`},
		{"negative price", "products: [{refId: p}]\nplans:\n  - refId: a\n    product: p\n    displayName: A\n    prices: [{billingModel: FLAT_FEE, billingPeriod: MONTHLY, amount: -5}]\n",
			`plans[0] (a).prices[0]: amount must not be negative`},
		{"unknown product", "plans:\n  - {refId: a, product: x, displayName: A}\n", `plans[0] (a): unknown product refId "x"`},
		{"cycle", "products: [{refId: p}]\nplans:\n  - {refId: a, product: p, displayName: A, basePlan: b}\n  - {refId: b, product: p, displayName: B, basePlan: a}\n", "basePlan chain loops"},
		{"coupon", "coupons:\n  - {refId: c, name: C, percentOff: 150}\n", "percentOff must be more than 0 and at most 100"},
		{"incompatible addon product", "products: [{refId: p}, {refId: q}]\naddons: [{refId: x, product: q, displayName: X}]\nplans:\n  - {refId: a, product: p, displayName: A, compatibleAddons: [x]}\n", "belongs to another product"},
		{"meter on a boolean", "features:\n  - {refId: f, displayName: F, type: BOOLEAN, meter: {aggregation: {function: COUNT}}}\n",
			"features[0] (f): a meter needs a metered feature"},
		{"meter aggregation", "features:\n  - {refId: f, displayName: F, type: NUMBER, meterType: Incremental, meter: {aggregation: {function: MEDIAN, field: x}}}\n",
			`features[0] (f).meter.aggregation: function "MEDIAN" must be one of`},
		{"meter sum without field", "features:\n  - {refId: f, displayName: F, type: NUMBER, meterType: Incremental, meter: {aggregation: {function: SUM}}}\n",
			"SUM needs the field to aggregate"},
		{"meter condition", "features:\n  - refId: f\n    displayName: F\n    type: NUMBER\n    meterType: Incremental\n    meter:\n      aggregation: {function: COUNT}\n      filters: [{conditions: [{field: eventName, operation: LIKE, value: x}]}]\n",
			`features[0] (f).meter.filters[0].conditions[0]: operation "LIKE" must be one of`},
		{"meter condition without value", "features:\n  - refId: f\n    displayName: F\n    type: NUMBER\n    meterType: Incremental\n    meter:\n      aggregation: {function: COUNT}\n      filters: [{conditions: [{field: eventName, operation: EQUALS}]}]\n",
			"EQUALS needs a value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "catalog bad.yaml") {
				t.Fatalf("got %v, want an error naming the file and containing %q", err, tc.want)
			}
		})
	}
	if _, err := catalog.ReadFile("/nonexistent/catalog.yaml"); err == nil || !strings.Contains(err.Error(), "/nonexistent/catalog.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestJSONCatalog(t *testing.T) {
	f, err := catalog.Parse("catalog.json", []byte(`{
		"products": [{"refId": "p", "displayName": "P"}],
		"features": [{"refId": "f", "displayName": "F", "type": "BOOLEAN"}],
		"plans": [{"refId": "a", "product": "p", "displayName": "A", "entitlements": [{"feature": "f"}],
			"prices": [{"billingModel": "FLAT_FEE", "billingPeriod": "MONTHLY", "amount": 5}]}],
		"coupons": [{"refId": "c", "name": "C", "amountsOff": [{"amount": 3, "currency": "EUR"}]}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Plans) != 1 || f.Plans[0].Prices[0].Currency != "USD" || len(f.Coupons[0].AmountsOff) != 1 {
		t.Fatalf("parsed: %+v", f)
	}
}

// TestMeterIsStored checks that a feature's meter reaches the database as
// declared, that reloading the same file leaves it, and that a file
// without it clears it.
func TestMeterIsStored(t *testing.T) {
	src := `
features:
  - refId: feature-exports
    displayName: Exports
    type: NUMBER
    meterType: Incremental
    meter:
      aggregation: {function: SUM, field: rows}
      filters:
        - conditions:
            - {field: eventName, operation: EQUALS, value: export}
            - {field: format, operation: EQUALS, values: [csv, xlsx]}
`
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		f, err := catalog.Parse("meter.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.Apply(ctx, st.Client, now, f); err != nil {
			t.Fatal(err)
		}
		ft := st.Client.Feature.Query().OnlyX(ctx)
		m := ft.Meter
		if m == nil || m.Aggregation.Function != "SUM" || m.Aggregation.Field != "rows" || len(m.Filters) != 1 ||
			len(m.Filters[0].Conditions) != 2 || m.Filters[0].Conditions[1].Values[1] != "xlsx" {
			t.Fatalf("meter stored as %+v", m)
		}
		sum, err := catalog.Apply(ctx, st.Client, now, f)
		if err != nil || sum.Unchanged["features"] != 1 {
			t.Fatalf("reload: %v %v", sum, err)
		}
		plain, err := catalog.Parse("plain.yaml", []byte("features:\n  - {refId: feature-exports, displayName: Exports, type: NUMBER, meterType: Incremental}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.Apply(ctx, st.Client, now, plain); err != nil {
			t.Fatal(err)
		}
		if m := st.Client.Feature.Query().OnlyX(ctx).Meter; m != nil {
			t.Fatalf("meter not cleared: %+v", m)
		}
	})
}
