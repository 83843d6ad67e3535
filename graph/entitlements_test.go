package graph_test

import (
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// entitlementFields is the SDK's EntitlementFragment (api-client-js 3.108.0).
const entitlementFields = `
	__typename isGranted accessDeniedReason customerId resourceId usageLimit hasUnlimitedUsage hasSoftLimit
	currentUsage requestedUsage requestedValues enumValues entitlementUpdatedAt usageUpdatedAt usagePeriodAnchor
	usagePeriodStart usagePeriodEnd nextResetDate resetPeriod
	resetPeriodConfiguration { __typename ... on YearlyResetPeriodConfig { yearlyAccordingTo }
		... on MonthlyResetPeriodConfig { monthlyAccordingTo } ... on WeeklyResetPeriodConfig { weeklyAccordingTo } }
	feature { __typename featureType meterType featureUnits featureUnitsPlural description displayName refId unitTransformation { divide round } }
	creditRate { amount currencyId }
	validUntil`

const (
	getEntitlementsDoc = `query($query: FetchEntitlementsQuery!) { entitlements: cachedEntitlements(query: $query) {` + entitlementFields + `} }`
	getStateDoc        = `query($query: FetchEntitlementsQuery!) { entitlementsState(query: $query) { entitlements {` + entitlementFields + `} accessDeniedReason } }`
	getEntitlementDoc  = `query($query: FetchEntitlementQuery!) { entitlement(query: $query) {` + entitlementFields + `} }`
	reportUsageFields  = `id featureId customerId resourceId currentUsage usagePeriodStart usagePeriodEnd nextResetDate timestamp`
	reportUsageDoc     = `mutation($input: ReportUsageInput!) { reportUsage(input: $input) { ` + reportUsageFields + ` } }`
	reportUsageBulkDoc = `mutation($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { ` + reportUsageFields + ` } }`
)

func byRef(t *testing.T, list any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, e := range list.([]any) {
		m := e.(map[string]any)
		out[jsonPath(t, m, "feature", "refId").(string)] = m
	}
	return out
}

func isDate(t *testing.T, what string, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s = %v, want a date", what, v)
	}
	d, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %q: %v", what, s, err)
	}
	return d
}

func TestEntitlementResolvers(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "ent"})
		sub := provisionSub(t, s, map[string]any{"customerId": "ent", "planId": "plan-revvenu-basic", "skipTrial": true})
		start := isDate(t, "startDate", sub["startDate"])
		q := map[string]any{"query": map[string]any{"customerId": "ent"}}

		ents := byRef(t, run(t, s, getEntitlementsDoc, q)["entitlements"])
		if len(ents) != 4 {
			t.Fatalf("got %d entitlements, want the 4 of plan-revvenu-basic", len(ents))
		}
		calls := ents["feature-api-calls"]
		eq(t, "usageLimit", calls["usageLimit"], 10000.0)
		eq(t, "resetPeriod", calls["resetPeriod"], "MONTH")
		eq(t, "currentUsage", calls["currentUsage"], 0.0)
		eq(t, "isGranted", calls["isGranted"], true)
		eq(t, "customerId", calls["customerId"], "ent")
		eq(t, "meterType", jsonPath(t, calls, "feature", "meterType"), "Incremental")
		if !isDate(t, "usagePeriodAnchor", calls["usagePeriodAnchor"]).Equal(start) ||
			!isDate(t, "usagePeriodStart", calls["usagePeriodStart"]).Equal(start) ||
			!isDate(t, "usagePeriodEnd", calls["usagePeriodEnd"]).Equal(start.AddDate(0, 1, 0)) {
			t.Fatalf("period: %v %v %v", calls["usagePeriodAnchor"], calls["usagePeriodStart"], calls["usagePeriodEnd"])
		}
		isDate(t, "entitlementUpdatedAt", calls["entitlementUpdatedAt"])
		eq(t, "enum values", len(ents["feature-support-level"]["enumValues"].([]any)), 2)
		eq(t, "seats limit", ents["feature-seats"]["usageLimit"], 5.0)

		// Usage: reported, visible, enforced.
		d := run(t, s, reportUsageDoc, map[string]any{"input": map[string]any{"customerId": "ent", "featureId": "feature-api-calls", "value": 9999}})
		eq(t, "currentUsage", jsonPath(t, d, "reportUsage", "currentUsage"), 9999.0)
		isDate(t, "timestamp", jsonPath(t, d, "reportUsage", "timestamp"))
		if !isDate(t, "nextResetDate", jsonPath(t, d, "reportUsage", "nextResetDate")).Equal(start.AddDate(0, 1, 0)) {
			t.Fatalf("nextResetDate %v", jsonPath(t, d, "reportUsage", "nextResetDate"))
		}
		check := func(usage float64) map[string]any {
			return run(t, s, getEntitlementDoc, map[string]any{"query": map[string]any{"customerId": "ent", "featureId": "feature-api-calls",
				"options": map[string]any{"requestedUsage": usage}}})["entitlement"].(map[string]any)
		}
		e := check(1)
		eq(t, "granted at the limit", e["isGranted"], true)
		eq(t, "requestedUsage", e["requestedUsage"], 1.0)
		e = check(2)
		eq(t, "granted past the limit", e["isGranted"], false)
		eq(t, "reason", e["accessDeniedReason"], "RequestedUsageExceedingLimit")
		d = run(t, s, reportUsageBulkDoc, map[string]any{"input": map[string]any{"usages": []any{
			map[string]any{"customerId": "ent", "featureId": "feature-seats", "value": 3, "updateBehavior": "SET"},
			map[string]any{"customerId": "ent", "featureId": "feature-seats", "value": -1}}}})
		eq(t, "bulk seats", jsonPath(t, d, "reportUsageBulk", 1, "currentUsage"), 2.0)
		// The limit resets at the period boundary.
		s.Clock.Set(start.AddDate(0, 1, 0))
		e = check(10000)
		eq(t, "granted after the reset", e["isGranted"], true)
		eq(t, "usage after the reset", e["currentUsage"], 0.0)

		// Denials and errors.
		st := run(t, s, getStateDoc, map[string]any{"query": map[string]any{"customerId": "nobody"}})
		eq(t, "unknown customer", jsonPath(t, st, "entitlementsState", "accessDeniedReason"), "CustomerNotFound")
		eq(t, "no entitlements", len(jsonPath(t, st, "entitlementsState", "entitlements").([]any)), 0)
		st = run(t, s, getStateDoc, q)
		eq(t, "known customer", jsonPath(t, st, "entitlementsState", "accessDeniedReason"), nil)
		e = run(t, s, getEntitlementDoc, map[string]any{"query": map[string]any{"customerId": "ent", "featureId": "feature-sso"}})["entitlement"].(map[string]any)
		eq(t, "not in the plan", e["accessDeniedReason"], "NoFeatureEntitlementInSubscription")
		e = run(t, s, getEntitlementDoc, map[string]any{"query": map[string]any{"customerId": "ent", "featureId": "nope"}})["entitlement"].(map[string]any)
		eq(t, "unknown feature", e["accessDeniedReason"], "FeatureNotFound")
		s.Fail("CustomerNotFound", reportUsageDoc, map[string]any{"input": map[string]any{"customerId": "nobody", "featureId": "feature-api-calls", "value": 1}})
		s.Fail("MeteringNotAvailableForFeatureType", reportUsageDoc, map[string]any{"input": map[string]any{"customerId": "ent", "featureId": "feature-sso", "value": 1}})
		s.Fail("BadUserInput", getEntitlementsDoc, map[string]any{"query": map[string]any{"customerId": "ent", "environmentId": "not-a-uuid"}})

		// Events, checks and history.
		d = run(t, s, `mutation($input: UsageEventsReportInput!) { reportEvent(events: $input) }`, map[string]any{"input": map[string]any{
			"usageEvents": []any{map[string]any{"customerId": "ent", "eventName": "login", "idempotencyKey": "k1", "dimensions": map[string]any{"user": "a"}}}}})
		eq(t, "reportEvent", d["reportEvent"], nil)
		if s.Store.Client.UsageEvent.Query().CountX(t.Context()) != 1 {
			t.Fatal("the event was not stored")
		}
		d = run(t, s, `mutation($c: EntitlementCheckRequested!) { reportEntitlementCheckRequested(entitlementCheckRequested: $c) }`, map[string]any{"c": map[string]any{
			"customerId": "ent", "featureId": "feature-sso", "entitlementCheckResult": map[string]any{"hasAccess": false, "accessDeniedReason": "NoFeatureEntitlementInSubscription"}}})
		eq(t, "reportEntitlementCheckRequested", d["reportEntitlementCheckRequested"], true)
		if s.Store.Client.EntitlementCheck.Query().CountX(t.Context()) != 1 {
			t.Fatal("the check was not stored")
		}
		h := run(t, s, `query($input: UsageHistoryV2Input!) { usageHistoryV2(input: $input) { markers { type timestamp } series { tags { key value } points { timestamp value isResetPoint } } } }`,
			map[string]any{"input": map[string]any{"customerId": "ent", "featureId": "feature-api-calls", "startDate": start.Format(time.RFC3339), "endDate": start.Add(3 * time.Hour).Format(time.RFC3339)}})
		points := jsonPath(t, h, "usageHistoryV2", "series", 0, "points").([]any)
		eq(t, "hourly points", len(points), 3)
		isDate(t, "point timestamp", jsonPath(t, points[0], "timestamp"))
		eq(t, "usage in the first hour", jsonPath(t, points[0], "value"), 9999.0)
		eq(t, "marker", jsonPath(t, h, "usageHistoryV2", "markers", 0, "type"), "PERIODIC_RESET")
		h = run(t, s, `query($input: UsageHistoryInput!) { usageHistory(usageHistoryInput: $input) { startDate endDate usageMeasurements { date value isResetPoint } groups { groupInfo { key value } } } }`,
			map[string]any{"input": map[string]any{"customerRefId": "ent", "featureRefId": "feature-api-calls", "startDate": start.Format(time.RFC3339), "resetPeriod": "DAY"}})
		eq(t, "v1 first day", jsonPath(t, h, "usageHistory", "usageMeasurements", 0, "value"), 9999.0)
	})
}
