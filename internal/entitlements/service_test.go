package entitlements_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// testCatalog has one feature of each kind and two plans, one built on
// the other, and two add-ons.
const testCatalog = `
products: [{refId: app, displayName: App}]
features:
  - {refId: sso, displayName: SSO, type: BOOLEAN}
  - {refId: level, displayName: Level, type: ENUM, enumValues: [{value: email}, {value: chat}, {value: phone}]}
  - {refId: dashboards, displayName: Dashboards, type: NUMBER}
  - {refId: seats, displayName: Seats, type: NUMBER, meterType: Fluctuating}
  - {refId: calls, displayName: Calls, type: NUMBER, meterType: Incremental}
  - refId: exports
    displayName: Exported rows
    type: NUMBER
    meterType: Incremental
    meter:
      aggregation: {function: SUM, field: rows}
      filters: [{conditions: [{field: eventName, operation: EQUALS, value: export}]}]
plans:
  - refId: basic
    product: app
    displayName: Basic
    compatibleAddons: [more-seats, more-calls]
    entitlements:
      - {feature: level, enumValues: [email]}
      - {feature: dashboards, usageLimit: 3}
      - {feature: seats, usageLimit: 2}
      - {feature: calls, usageLimit: 100, resetPeriod: MONTH}
      - {feature: exports, usageLimit: 1000, resetPeriod: DAY}
  - refId: pro
    product: app
    displayName: Pro
    basePlan: basic
    trial: {duration: 14, units: DAY, endBehavior: CANCEL_SUBSCRIPTION}
    compatibleAddons: [more-seats, more-calls]
    entitlements:
      - {feature: sso}
      - {feature: level, enumValues: [email, chat]}
      - {feature: calls, usageLimit: 1000, resetPeriod: MONTH}
addons:
  - {refId: more-seats, product: app, displayName: More seats, maxQuantity: 10, entitlements: [{feature: seats, usageLimit: 5}]}
  - {refId: more-calls, product: app, displayName: More calls, maxQuantity: 5, entitlements: [{feature: calls, usageLimit: 50}]}
`

type fixture struct {
	ctx   context.Context
	env   uuid.UUID
	clk   *clock.Manual
	st    *db.Store
	svc   *entitlements.Service
	subs  *subscription.Service
	custs *customers.Service
}

var t0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, st *db.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewManual(t0)
	f, err := catalog.Parse("test.yaml", []byte(testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Apply(ctx, st.Client, t0.Add(-time.Hour), f); err != nil {
		t.Fatal(err)
	}
	env := st.Client.Environment.Query().Where(environment.Slug(catalog.DefaultEnvironment)).OnlyX(ctx)
	return &fixture{ctx: ctx, env: env.ID, clk: clk, st: st, svc: entitlements.New(st.Client, clk),
		subs: subscription.New(st.Client, clk), custs: customers.New(st.Client, clk)}
}

func (f *fixture) customer(t *testing.T, id string) {
	t.Helper()
	if _, err := f.custs.Create(f.ctx, f.env, customers.CreateInput{CustomerID: id}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) subscribe(t *testing.T, in subscription.Input) *ent.CustomerSubscription {
	t.Helper()
	r, err := f.subs.Provision(f.ctx, f.env, in)
	if err != nil {
		t.Fatal(err)
	}
	return r.Subscription
}

func (f *fixture) state(t *testing.T, customer string) *entitlements.State {
	t.Helper()
	st, err := f.svc.ForCustomer(f.ctx, f.env, customer, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func num(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestEntitlementsOfACustomer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		// Unknown customer.
		s := f.state(t, "nobody")
		if s.Customer != nil || s.AccessDeniedReason != entitlements.CustomerNotFound || len(s.Entitlements) != 0 {
			t.Fatalf("unknown customer: %+v", s)
		}
		f.customer(t, "acme")
		if s := f.state(t, "acme"); s.AccessDeniedReason != entitlements.NoActiveSubscription || len(s.Entitlements) != 0 {
			t.Fatalf("no subscription: %+v", s)
		}
		sub := f.subscribe(t, subscription.Input{CustomerID: "acme", PlanID: "pro", SkipTrial: true,
			Addons: []subscription.AddonQuantity{{RefID: "more-seats", Quantity: 3}, {RefID: "more-calls", Quantity: 2}}})
		s = f.state(t, "acme")
		if s.AccessDeniedReason != "" || s.ActiveSubscriptions != 1 {
			t.Fatalf("state: %+v", s)
		}
		want := map[string]struct {
			limit any
			enums []string
		}{
			"sso":        {nil, nil},
			"level":      {nil, []string{"email", "chat"}}, // pro's own, hiding basic's
			"dashboards": {3.0, nil},                       // inherited from basic
			"seats":      {17.0, nil},                      // 2 + 5*3
			"calls":      {1100.0, nil},                    // 1000 + 50*2
			"exports":    {1000.0, nil},
		}
		if len(s.Entitlements) != len(want) {
			t.Fatalf("got %d entitlements, want %d", len(s.Entitlements), len(want))
		}
		for _, e := range s.Entitlements {
			w, ok := want[e.Feature.RefID]
			if !ok || num(e.UsageLimit) != w.limit || !e.IsGranted || e.EntitlementUpdatedAt == nil {
				t.Errorf("%s: limit %v granted %v updated %v, want %v", e.Feature.RefID, num(e.UsageLimit), e.IsGranted, e.EntitlementUpdatedAt, w.limit)
			}
			if w.enums != nil && len(e.EnumValues) != len(w.enums) {
				t.Errorf("%s: enum values %v, want %v", e.Feature.RefID, e.EnumValues, w.enums)
			}
		}
		calls := s.Entitlement("calls")
		if calls.UsagePeriodStart == nil || !calls.UsagePeriodStart.Equal(sub.StartDate) || !calls.UsagePeriodEnd.Equal(sub.StartDate.AddDate(0, 1, 0)) ||
			num(calls.CurrentUsage) != 0.0 {
			t.Fatalf("calls period [%v, %v) usage %v", calls.UsagePeriodStart, calls.UsagePeriodEnd, num(calls.CurrentUsage))
		}
		if seats := s.Entitlement("seats"); seats.UsagePeriodStart != nil || num(seats.CurrentUsage) != 0.0 {
			t.Fatalf("fluctuating seats have no period: %+v", seats)
		}
		if d := s.Entitlement("dashboards"); d.CurrentUsage != nil {
			t.Fatalf("a non-metered number has no usage: %+v", d)
		}

		// A promotional grant: more generous calls, and a feature without a subscription.
		f.customer(t, "promo-only")
		for _, g := range []struct {
			cust, feature string
			limit         *float64
			unlimited     bool
		}{{"acme", "calls", nil, true}, {"promo-only", "sso", nil, false}, {"acme", "dashboards", ptrF(1), false}} {
			c := st.Client.Customer.Query().Where().AllX(f.ctx)
			var id uuid.UUID
			for _, cc := range c {
				if cc.CustomerID == g.cust {
					id = cc.ID
				}
			}
			st.Client.PromotionalEntitlement.Create().SetEnvironmentID(f.env).SetCustomerID(id).SetFeatureRefID(g.feature).
				SetGrantPeriod(promotionalentitlement.GrantPeriodONE_WEEK).SetStartDate(t0).SetEndDate(t0.AddDate(0, 0, 7)).
				SetNillableUsageLimit(g.limit).SetHasUnlimitedUsage(g.unlimited).ExecX(f.ctx)
		}
		s = f.state(t, "acme")
		if c := s.Entitlement("calls"); !c.HasUnlimitedUsage || c.UsageLimit != nil || c.ValidUntil == nil || !c.ValidUntil.Equal(t0.AddDate(0, 0, 7)) {
			t.Fatalf("unlimited grant should win: %+v", c)
		}
		if d := s.Entitlement("dashboards"); num(d.UsageLimit) != 3.0 {
			t.Fatalf("a smaller grant must not reduce the plan's limit: %v", num(d.UsageLimit))
		}
		p := f.state(t, "promo-only")
		if p.AccessDeniedReason != "" || p.Entitlement("sso") == nil || p.ActiveSubscriptions != 0 {
			t.Fatalf("a grant alone gives access: %+v", p)
		}
		// After the grant ends, it is gone.
		f.clk.Set(t0.AddDate(0, 0, 8))
		if p := f.state(t, "promo-only"); p.AccessDeniedReason != entitlements.NoActiveSubscription || len(p.Entitlements) != 0 {
			t.Fatalf("expired grant still counts: %+v", p)
		}
		if c := f.state(t, "acme").Entitlement("calls"); c.HasUnlimitedUsage || num(c.UsageLimit) != 1100.0 {
			t.Fatalf("after the grant: %+v", c)
		}
	})
}

func ptrF(v float64) *float64 { return &v }

func TestChecksAndUsage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.customer(t, "acme")
		sub := f.subscribe(t, subscription.Input{CustomerID: "acme", PlanID: "basic", SkipTrial: true})
		check := func(feature string, usage *float64, values []string) *entitlements.Entitlement {
			t.Helper()
			e, err := f.svc.Check(f.ctx, f.env, "acme", nil, feature, usage, values)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		for _, c := range []struct {
			name, customer, feature string
			usage                   *float64
			values                  []string
			granted                 bool
			reason                  entitlements.AccessDeniedReason
		}{
			{"unknown customer", "nobody", "calls", nil, nil, false, entitlements.CustomerNotFound},
			{"unknown feature", "acme", "nope", nil, nil, false, entitlements.FeatureNotFound},
			{"feature not in the plan", "acme", "sso", nil, nil, false, entitlements.NoFeatureEntitlementInSubscription},
			{"enum value in the plan", "acme", "level", nil, []string{"email"}, true, ""},
			{"enum value not in the plan", "acme", "level", nil, []string{"email", "phone"}, false, entitlements.RequestedValuesMismatch},
			{"non-metered number", "acme", "dashboards", ptrF(50), nil, true, ""},
			{"metered within the limit", "acme", "calls", ptrF(100), nil, true, ""},
			{"metered over the limit", "acme", "calls", ptrF(101), nil, false, entitlements.RequestedUsageExceedingLimit},
		} {
			e, err := f.svc.Check(f.ctx, f.env, c.customer, nil, c.feature, c.usage, c.values)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if e.IsGranted != c.granted || e.AccessDeniedReason != c.reason {
				t.Errorf("%s: granted %v (%s), want %v (%s)", c.name, e.IsGranted, e.AccessDeniedReason, c.granted, c.reason)
			}
		}
		f.customer(t, "idle")
		if e, _ := f.svc.Check(f.ctx, f.env, "idle", nil, "calls", nil, nil); e.AccessDeniedReason != entitlements.NoActiveSubscription {
			t.Fatalf("no subscription: %s", e.AccessDeniedReason)
		}

		report := func(r entitlements.UsageReport) (*entitlements.Measurement, error) {
			ms, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{r})
			if err != nil {
				return nil, err
			}
			return ms[0], nil
		}
		m, err := report(entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "calls", Value: 60})
		if err != nil || m.CurrentUsage != 60 || m.UsagePeriodStart == nil || !m.UsagePeriodStart.Equal(sub.StartDate) {
			t.Fatalf("report: %+v %v", m, err)
		}
		if _, err := report(entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "calls", Value: 40, Dimensions: map[string]any{"region": "eu"}}); err != nil {
			t.Fatal(err)
		}
		if e := check("calls", ptrF(1), nil); e.IsGranted || num(e.CurrentUsage) != 100.0 {
			t.Fatalf("at the limit: granted %v usage %v", e.IsGranted, num(e.CurrentUsage))
		}
		if e := check("calls", ptrF(0), nil); !e.IsGranted {
			t.Fatal("usage equal to the limit with nothing requested is granted")
		}
		// The limit resets at the period boundary.
		f.clk.Set(sub.StartDate.AddDate(0, 1, 0))
		if e := check("calls", ptrF(100), nil); !e.IsGranted || num(e.CurrentUsage) != 0.0 || !e.UsagePeriodStart.Equal(sub.StartDate.AddDate(0, 1, 0)) {
			t.Fatalf("after the reset: granted %v usage %v from %v", e.IsGranted, num(e.CurrentUsage), e.UsagePeriodStart)
		}
		// SET replaces a fluctuating value; DELTA moves it.
		for _, r := range []struct {
			b    entitlements.UpdateBehavior
			v    float64
			want float64
		}{{entitlements.Set, 2, 2}, {entitlements.Delta, -1, 1}, {entitlements.Set, 0, 0}, {"", 2, 2}} {
			m, err := report(entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "seats", Value: r.v, Behavior: r.b})
			if err != nil || m.CurrentUsage != r.want || m.UsagePeriodStart != nil {
				t.Fatalf("%s %v: %+v %v", r.b, r.v, m, err)
			}
		}
		if e := check("seats", ptrF(1), nil); e.IsGranted {
			t.Fatal("2 seats used of 2: one more is refused")
		}
		// Bad reports write nothing.
		before := st.Client.UsageMeasurement.Query().CountX(f.ctx)
		for _, c := range []struct {
			r    entitlements.UsageReport
			code apperr.Code
		}{
			{entitlements.UsageReport{CustomerRefID: "nobody", FeatureRefID: "calls", Value: 1}, apperr.CustomerNotFound},
			{entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "nope", Value: 1}, apperr.FeatureNotFound},
			{entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "dashboards", Value: 1}, apperr.MeteringNotAvailableForFeatureType},
			{entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "sso", Value: 1}, apperr.MeteringNotAvailableForFeatureType},
			{entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "exports", Value: 1}, apperr.CannotReportUsageForEntitlementWithMeterError},
			{entitlements.UsageReport{CustomerRefID: "acme", FeatureRefID: "calls", Value: 1, Behavior: "ADD"}, apperr.BadUserInput},
		} {
			if _, err := report(c.r); apperr.CodeOf(err) != c.code {
				t.Errorf("%+v: got %v, want %s", c.r, err, c.code)
			}
		}
		// A bulk report with one bad entry writes none of them.
		_, err = f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{
			{CustomerRefID: "acme", FeatureRefID: "calls", Value: 1}, {CustomerRefID: "nobody", FeatureRefID: "calls", Value: 1}})
		if apperr.CodeOf(err) != apperr.CustomerNotFound {
			t.Fatalf("bulk: %v", err)
		}
		if n := st.Client.UsageMeasurement.Query().CountX(f.ctx); n != before {
			t.Fatalf("a refused report wrote %d measurements", n-before)
		}
		if e := check("calls", nil, nil); num(e.CurrentUsage) != 0.0 {
			t.Fatalf("a refused bulk report counted: %v", num(e.CurrentUsage))
		}

		// Events: the meter sums the rows of "export" events in the day.
		day := f.clk.Now()
		n, err := f.svc.ReportEvents(f.ctx, f.env, []entitlements.Event{
			{CustomerRefID: "acme", EventName: "export", IdempotencyKey: "e1", Dimensions: map[string]any{"rows": 300.0}},
			{CustomerRefID: "acme", EventName: "export", IdempotencyKey: "e2", Dimensions: map[string]any{"rows": "200"}},
			{CustomerRefID: "acme", EventName: "import", IdempotencyKey: "e3", Dimensions: map[string]any{"rows": 999.0}},
			{CustomerRefID: "acme", EventName: "export", IdempotencyKey: "e1", Dimensions: map[string]any{"rows": 300.0}},
		})
		if err != nil || n != 3 {
			t.Fatalf("events: stored %d, %v", n, err)
		}
		if n, err := f.svc.ReportEvents(f.ctx, f.env, []entitlements.Event{{CustomerRefID: "acme", EventName: "export", IdempotencyKey: "e2", Dimensions: map[string]any{"rows": 1.0}}}); err != nil || n != 0 {
			t.Fatalf("a repeated key is stored again: %d %v", n, err)
		}
		if e := check("exports", ptrF(500), nil); num(e.CurrentUsage) != 500.0 || !e.IsGranted {
			t.Fatalf("exports: usage %v granted %v", num(e.CurrentUsage), e.IsGranted)
		}
		if e := check("exports", ptrF(501), nil); e.IsGranted {
			t.Fatal("exports over the limit")
		}
		if _, err := f.svc.ReportEvents(f.ctx, f.env, []entitlements.Event{{CustomerRefID: "nobody", EventName: "export", IdempotencyKey: "e9"}}); apperr.CodeOf(err) != apperr.CustomerNotFound {
			t.Fatalf("event for an unknown customer: %v", err)
		}
		f.clk.Set(day.AddDate(0, 0, 1))
		if e := check("exports", nil, nil); num(e.CurrentUsage) != 0.0 {
			t.Fatalf("exports reset daily: %v", num(e.CurrentUsage))
		}

		// Reported checks are stored and counted.
		for i := 0; i < 3; i++ {
			if err := f.svc.RecordCheck(f.ctx, f.env, entitlements.CheckReport{CustomerRefID: "acme", FeatureRefID: "sso", HasAccess: false}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := f.svc.CountChecks(f.ctx, f.env, "acme", "sso"); err != nil || n != 3 {
			t.Fatalf("checks: %d %v", n, err)
		}
	})
}

// TestConcurrentDeltas: 32 clients each report DELTA 1 to the same
// customer and feature at once; none is lost.
func TestConcurrentDeltas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.customer(t, "acme")
		f.subscribe(t, subscription.Input{CustomerID: "acme", PlanID: "basic", SkipTrial: true})
		const clients = 32
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		start := make(chan struct{})
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{{CustomerRefID: "acme", FeatureRefID: "calls", Value: 1}})
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		e, err := f.svc.Check(f.ctx, f.env, "acme", nil, "calls", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if num(e.CurrentUsage) != float64(clients) {
			t.Fatalf("usage %v after %d concurrent DELTA 1, want %d", num(e.CurrentUsage), clients, clients)
		}
		if n := st.Client.UsageMeasurement.Query().CountX(f.ctx); n != clients {
			t.Fatalf("%d measurements, want %d", n, clients)
		}
	})
}

// TestResourcesAndTrials: a resource's subscription entitles that resource
// only; an in-trial subscription entitles until its trial cancels it.
func TestResourcesAndTrials(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.customer(t, "multi")
		site1, site2 := "site-1", "site-2"
		sub := f.subscribe(t, subscription.Input{CustomerID: "multi", PlanID: "pro", ResourceID: &site1})
		if sub.Status != subscription.InTrial {
			t.Fatalf("status %s, want IN_TRIAL", sub.Status)
		}
		for _, c := range []struct {
			resource *string
			sso      bool
		}{{nil, false}, {&site1, true}, {&site2, false}} {
			s, err := f.svc.ForCustomer(f.ctx, f.env, "multi", c.resource)
			if err != nil {
				t.Fatal(err)
			}
			if (s.Entitlement("sso") != nil) != c.sso {
				t.Errorf("resource %v: sso %v, want %v", num2(c.resource), s.Entitlement("sso") != nil, c.sso)
			}
		}
		// Usage is kept per resource.
		if _, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{{CustomerRefID: "multi", FeatureRefID: "calls", ResourceID: &site1, Value: 3}}); err != nil {
			t.Fatal(err)
		}
		if e, _ := f.svc.Check(f.ctx, f.env, "multi", &site1, "calls", nil, nil); num(e.CurrentUsage) != 3.0 {
			t.Fatalf("site-1 usage %v", num(e.CurrentUsage))
		}
		// A customer-wide subscription counts for every resource.
		f.subscribe(t, subscription.Input{CustomerID: "multi", PlanID: "basic", SkipTrial: true})
		if s, _ := f.svc.ForCustomer(f.ctx, f.env, "multi", &site2); s.Entitlement("dashboards") == nil || s.Entitlement("sso") != nil {
			t.Fatalf("site-2 should have basic's entitlements only")
		}
		// The trial cancels the subscription at its end: the entitlement goes.
		f.clk.Set(t0.AddDate(0, 0, 15))
		if s, _ := f.svc.ForCustomer(f.ctx, f.env, "multi", &site1); s.Entitlement("sso") != nil {
			t.Fatal("the ended trial still entitles sso")
		}
	})
}

func num2(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestAgreesWithProvisioning: for a customer with one subscription, the
// computed entitlements equal what provisioning reported it grants
// (internal/subscription computes those for provisionSubscription's answer).
func TestAgreesWithProvisioning(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.customer(t, "acme")
		r, err := f.subs.Provision(f.ctx, f.env, subscription.Input{CustomerID: "acme", PlanID: "pro", SkipTrial: true,
			Addons: []subscription.AddonQuantity{{RefID: "more-seats", Quantity: 3}, {RefID: "more-calls", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		s := f.state(t, "acme")
		if len(s.Entitlements) != len(r.Entitlements) {
			t.Fatalf("%d computed, %d provisioned", len(s.Entitlements), len(r.Entitlements))
		}
		for _, p := range r.Entitlements {
			e := s.Entitlement(p.Feature.RefID)
			if e == nil || num(e.UsageLimit) != num(p.UsageLimit) || e.HasUnlimitedUsage != p.Unlimited || e.HasSoftLimit != p.SoftLimit ||
				len(e.EnumValues) != len(p.EnumValues) {
				t.Errorf("%s: computed %+v, provisioned %+v", p.Feature.RefID, e, p)
			}
		}
	})
}
