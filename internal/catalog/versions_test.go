package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestPlanVersions: a changed plan gets a new version, and so does a plan
// built on it (its new version inherits from the new base; the old one
// keeps the old base); the product's downgrade plan follows the latest
// version; a plan that leaves the file goes with all its versions, which
// are archived when a subscription uses any of them.
func TestPlanVersions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := catalog.Load(ctx, st.Client, now, ""); err != nil {
			t.Fatal(err)
		}
		apply := func(at time.Time, src string) *catalog.Summary {
			t.Helper()
			f, err := catalog.Parse("edited.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			sum, err := catalog.Apply(ctx, st.Client, at, f)
			if err != nil {
				t.Fatal(err)
			}
			return sum
		}
		versions := func(ref string) []*ent.Plan {
			return st.Client.Plan.Query().Where(plan.RefID(ref)).WithEntitlements().Order(ent.Asc(plan.FieldVersionNumber)).AllX(ctx)
		}
		demo := string(catalog.DemoSource())
		// Basic's seats 5 -> 6; Free's seats 2 -> 3.
		src := strings.Replace(demo, "      - {feature: feature-seats, usageLimit: 5}\n      - {feature: feature-api-calls", "      - {feature: feature-seats, usageLimit: 6}\n      - {feature: feature-api-calls", 1)
		src = strings.Replace(src, "{feature: feature-seats, usageLimit: 2}", "{feature: feature-seats, usageLimit: 3}", 1)
		if src == demo {
			t.Fatal("demo catalog changed shape")
		}
		if sum := apply(now.Add(time.Hour), src); sum.Updated["plans"] != 3 {
			t.Fatalf("Basic, Pro (built on it) and Free should get versions: %s", sum)
		}
		basic, pro := versions("plan-revvenu-basic"), versions("plan-revvenu-pro")
		if len(basic) != 2 || len(pro) != 2 || basic[0].IsLatest || !basic[1].IsLatest || pro[0].IsLatest || !pro[1].IsLatest {
			t.Fatalf("versions: basic %d, pro %d", len(basic), len(pro))
		}
		if *pro[0].BasePlanID != basic[0].ID || *pro[1].BasePlanID != basic[1].ID {
			t.Fatal("each Pro version should inherit from the Basic version it was published with")
		}
		seatsID := st.Client.Feature.Query().Where(feature.RefID("feature-seats")).OnlyIDX(ctx)
		seats := func(p *ent.Plan) float64 {
			for _, e := range p.Edges.Entitlements {
				if e.FeatureID == seatsID && e.UsageLimit != nil {
					return *e.UsageLimit
				}
			}
			return 0
		}
		if seats(basic[0]) != 5 || seats(basic[1]) != 6 || basic[0].Edges.Entitlements[0].ID == basic[1].Edges.Entitlements[0].ID {
			t.Fatalf("seats: version 1 %v, version 2 %v, each with entitlements of its own", seats(basic[0]), seats(basic[1]))
		}
		free := versions("plan-revvenu-free")
		prod := st.Client.Product.Query().Where(product.RefID("product-revvenu")).OnlyX(ctx)
		if len(free) != 2 || prod.DowngradePlanID == nil || *prod.DowngradePlanID != free[1].ID {
			t.Fatal("the downgrade plan should be Free's latest version")
		}

		// A subscription on Basic's version 1; then Basic, Pro and Free
		// leave the file.
		cu := st.Client.Customer.Create().SetEnvironmentID(basic[0].EnvironmentID).SetCustomerID("c1").SaveX(ctx)
		st.Client.CustomerSubscription.Create().SetEnvironmentID(basic[0].EnvironmentID).SetCustomerID(cu.ID).SetRefID("s1").
			SetPlanID(basic[0].ID).SetStartDate(now).SaveX(ctx)
		cut := func(s, from, to string) string {
			i, j := strings.Index(s, from), strings.Index(s, to)
			if i < 0 || j < i {
				t.Fatalf("demo catalog changed shape: %q..%q", from, to)
			}
			return s[:i] + s[j:]
		}
		src = cut(src, "  - refId: plan-revvenu-free", "  - refId: plan-insights-starter")
		src = strings.Replace(src, "    downgradePlan: plan-revvenu-free\n", "", 1)
		sum := apply(now.Add(2*time.Hour), src)
		if sum.Archived["plans"] != 1 || sum.Deleted["plans"] != 2 {
			t.Fatalf("Basic archived, Pro and Free deleted: %s", sum)
		}
		basic = versions("plan-revvenu-basic")
		if len(basic) != 2 || basic[0].Status != plan.StatusARCHIVED || basic[1].Status != plan.StatusARCHIVED || !basic[1].IsLatest {
			t.Fatalf("Basic's versions should all be archived, the latest still latest: %+v", basic)
		}
		if n := len(versions("plan-revvenu-pro")) + len(versions("plan-revvenu-free")); n != 0 {
			t.Fatalf("%d unused versions kept", n)
		}
		// Back in the file as it was: the latest version published again.
		apply(now.Add(3*time.Hour), strings.Replace(demo, "usageLimit: 5}\n      - {feature: feature-api-calls", "usageLimit: 6}\n      - {feature: feature-api-calls", 1))
		basic = versions("plan-revvenu-basic")
		if len(basic) != 2 || basic[1].Status != plan.StatusPUBLISHED || !basic[1].IsLatest {
			t.Fatalf("Basic back in the file: %d versions, latest %s", len(basic), basic[len(basic)-1].Status)
		}
	})
}
