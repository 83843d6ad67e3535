package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
)

const versionDoc = `query($id: String!) { getSubscription(input: {subscriptionId: $id}) {
	plan { refId versionNumber isLatest } outdatedPricePackages prices { price { price { amount } } }
	scheduledUpdates { subscriptionScheduleType scheduleStatus scheduledExecutionTime } } }`

// publishBasicV2 applies the demo catalog with Basic at 6 seats and 35 a
// month: Basic, and Pro built on it, get version 2.
func publishBasicV2(t *testing.T, s *apitest.Server) {
	t.Helper()
	src := string(catalog.DemoSource())
	for _, r := range [][2]string{
		{"      - {feature: feature-seats, usageLimit: 5}\n      - {feature: feature-api-calls, usageLimit: 10000",
			"      - {feature: feature-seats, usageLimit: 6}\n      - {feature: feature-api-calls, usageLimit: 10000"},
		{"amount: 29, currency: USD}", "amount: 35, currency: USD}"},
	} {
		if strings.Count(src, r[0]) != 1 {
			t.Fatalf("demo catalog changed shape: %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	f, err := catalog.Parse("demo-v2.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Apply(context.Background(), s.Store.Client, s.Clock.Now(), f); err != nil {
		t.Fatal(err)
	}
}

// TestPlanVersionsOverHTTP: after a changed plan is published, the
// subscription on version 1 says so (versionNumber, isLatest,
// outdatedPricePackages) and keeps its price; lists show latest versions
// unless asked for others; migrateSubscriptionToLatest moves it now or at
// the period end, and refuses what Stigg refuses.
func TestPlanVersionsOverHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic", "skipTrial": true, "subscriptionId": "s1"})
		migrate := `mutation($id: String!, $when: SubscriptionMigrationTime) {
			migrateSubscriptionToLatest(input: {subscriptionId: $id, subscriptionMigrationTime: $when}) { subscriptionId plan { versionNumber } } }`
		s.Fail("SubscriptionAlreadyOnLatestPlanError", migrate, map[string]any{"id": "s1", "when": "IMMEDIATE"})

		publishBasicV2(t, s)
		got := jsonPath(t, run(t, s, versionDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "version", jsonPath(t, got, "plan", "versionNumber"), 1.0)
		eq(t, "isLatest", jsonPath(t, got, "plan", "isLatest"), false)
		eq(t, "outdated", jsonPath(t, got, "outdatedPricePackages", 0), "plan-revvenu-basic")
		eq(t, "old price", jsonPath(t, got, "prices", 0, "price", "price", "amount"), 29.0)

		plans := func(filter string) map[string]float64 {
			d := run(t, s, `{ plans(filter: `+filter+`, paging: {first: 50}) { edges { node { refId versionNumber isLatest } } } }`, nil)
			out := map[string]float64{}
			for _, e := range jsonPath(t, d, "plans", "edges").([]any) {
				out[jsonPath(t, e, "node", "refId").(string)] = jsonPath(t, e, "node", "versionNumber").(float64)
			}
			return out
		}
		latest := plans(`{refId: {like: "plan-revvenu-%"}}`)
		if latest["plan-revvenu-basic"] != 2 || latest["plan-revvenu-pro"] != 2 || latest["plan-revvenu-free"] != 1 {
			t.Fatalf("latest plans: %v", latest)
		}
		old := plans(`{isLatest: {is: false}}`)
		if len(old) != 2 || old["plan-revvenu-basic"] != 1 || old["plan-revvenu-pro"] != 1 {
			t.Fatalf("older versions: %v", old)
		}

		// At the end of the period: scheduled, shown, applied when due.
		s.Clock.Advance(24 * time.Hour)
		d := run(t, s, migrate, map[string]any{"id": "s1", "when": "END_OF_BILLING_PERIOD"})
		eq(t, "not yet", jsonPath(t, d, "migrateSubscriptionToLatest", "plan", "versionNumber"), 1.0)
		s.Fail("ScheduledMigrationAlreadyExistsError", migrate, map[string]any{"id": "s1", "when": "END_OF_BILLING_PERIOD"})
		got = jsonPath(t, run(t, s, versionDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "scheduled type", jsonPath(t, got, "scheduledUpdates", 0, "subscriptionScheduleType"), "MigrateToLatest")
		eq(t, "scheduled at", jsonPath(t, got, "scheduledUpdates", 0, "scheduledExecutionTime"), "2026-02-01T12:00:00.000Z")
		s.Clock.Set(s.Clock.Now().AddDate(0, 1, 0))
		if _, err := s.Resolver.SubscriptionService.ApplyDue(context.Background(), s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		got = jsonPath(t, run(t, s, versionDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "migrated version", jsonPath(t, got, "plan", "versionNumber"), 2.0)
		eq(t, "migrated isLatest", jsonPath(t, got, "plan", "isLatest"), true)
		eq(t, "nothing outdated", len(jsonPath(t, got, "outdatedPricePackages").([]any)), 0)
		eq(t, "new price", jsonPath(t, got, "prices", 0, "price", "price", "amount"), 35.0)
		eq(t, "nothing scheduled", len(jsonPath(t, got, "scheduledUpdates").([]any)), 0)

		s.Fail("SubscriptionAlreadyOnLatestPlanError", migrate, map[string]any{"id": "s1"})
		s.Fail("SubscriptionNotFound", migrate, map[string]any{"id": "nope", "when": "IMMEDIATE"})
	})
}
