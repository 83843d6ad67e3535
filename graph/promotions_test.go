package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

const grantMutation = `mutation($in: GrantPromotionalEntitlementsInput!) {
	grantPromotionalEntitlements(input: $in) {
		id period status startDate endDate usageLimit hasUnlimitedUsage hasSoftLimit isVisible enumValues resetPeriod
		feature { refId } featureId customer { customerId }
		resetPeriodConfiguration { ... on MonthlyResetPeriodConfig { monthlyAccordingTo } }
	}
}`

type grantJSON struct {
	ID                string   `json:"id"`
	Period            string   `json:"period"`
	Status            string   `json:"status"`
	StartDate         string   `json:"startDate"`
	EndDate           *string  `json:"endDate"`
	UsageLimit        *float64 `json:"usageLimit"`
	HasUnlimitedUsage *bool    `json:"hasUnlimitedUsage"`
	IsVisible         bool     `json:"isVisible"`
	EnumValues        []string `json:"enumValues"`
	ResetPeriod       *string  `json:"resetPeriod"`
	Feature           struct {
		RefID string `json:"refId"`
	} `json:"feature"`
	FeatureID string `json:"featureId"`
	Customer  struct {
		CustomerID string `json:"customerId"`
	} `json:"customer"`
	ResetPeriodConfiguration map[string]any `json:"resetPeriodConfiguration"`
}

func grant(t *testing.T, s *apitest.Server, customer string, grants ...map[string]any) []grantJSON {
	t.Helper()
	var out struct {
		GrantPromotionalEntitlements []grantJSON `json:"grantPromotionalEntitlements"`
	}
	s.Query(grantMutation, map[string]any{"in": map[string]any{"customerId": customer, "promotionalEntitlements": grants}}, &out)
	return out.GrantPromotionalEntitlements
}

func TestGrantPeriods(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "promo"})
		now := s.Clock.Now()
		custom := now.Add(10 * 24 * time.Hour)
		cases := []struct {
			period  string
			feature string
			extra   map[string]any
			end     *time.Time
		}{
			{"ONE_WEEK", "feature-seats", map[string]any{"usageLimit": 10}, ptrTime(now.AddDate(0, 0, 7))},
			{"ONE_MONTH", "feature-api-calls", map[string]any{"hasUnlimitedUsage": true}, ptrTime(now.AddDate(0, 1, 0))},
			{"SIX_MONTH", "feature-custom-domain", nil, ptrTime(now.AddDate(0, 6, 0))},
			{"ONE_YEAR", "feature-sso", map[string]any{"isVisible": false}, ptrTime(now.AddDate(1, 0, 0))},
			{"LIFETIME", "feature-support-level", map[string]any{"enumValues": []string{"phone"}}, nil},
			{"CUSTOM", "feature-dashboards", map[string]any{"customEndDate": custom.Format(time.RFC3339), "usageLimit": 3,
				"resetPeriod": "MONTH", "monthlyResetPeriodConfiguration": map[string]any{"accordingTo": "StartOfTheMonth"}}, &custom},
		}
		for _, tc := range cases {
			in := map[string]any{"featureId": tc.feature, "period": tc.period}
			for k, v := range tc.extra {
				in[k] = v
			}
			g := grant(t, s, "promo", in)
			if len(g) != 1 || g[0].Period != tc.period || g[0].Status != "Active" || g[0].Feature.RefID != tc.feature || g[0].Customer.CustomerID != "promo" || g[0].FeatureID == "" {
				t.Fatalf("%s: %+v", tc.period, g)
			}
			switch {
			case tc.end == nil && g[0].EndDate != nil:
				t.Fatalf("%s: lifetime grant has end %v", tc.period, *g[0].EndDate)
			case tc.end != nil && (g[0].EndDate == nil || *g[0].EndDate != tc.end.UTC().Format("2006-01-02T15:04:05.000Z")):
				t.Fatalf("%s: end %v, want %v", tc.period, g[0].EndDate, tc.end)
			}
		}
		var c struct {
			GetCustomerByRefID struct {
				Total float64 `json:"totalActivePromotionalEntitlements"`
				PEs   []struct {
					Feature struct {
						RefID string `json:"refId"`
					} `json:"feature"`
					IsVisible                bool           `json:"isVisible"`
					ResetPeriodConfiguration map[string]any `json:"resetPeriodConfiguration"`
				} `json:"promotionalEntitlements"`
			} `json:"getCustomerByRefId"`
		}
		read := func() {
			s.Query(`{ getCustomerByRefId(input: {customerId: "promo"}) { totalActivePromotionalEntitlements
				promotionalEntitlements { feature { refId } isVisible
					resetPeriodConfiguration { ... on MonthlyResetPeriodConfig { monthlyAccordingTo } } } } }`, nil, &c)
		}
		read()
		if c.GetCustomerByRefID.Total != 6 || len(c.GetCustomerByRefID.PEs) != 6 {
			t.Fatalf("after grants: %+v", c)
		}
		// Expiry by the clock: after 8 days the week grant has ended, after
		// 11 the custom one, after a year and a day all but the lifetime one.
		for _, step := range []struct {
			advance time.Duration
			active  int
		}{{8 * 24 * time.Hour, 5}, {3 * 24 * time.Hour, 4}, {366 * 24 * time.Hour, 1}} {
			s.Clock.Advance(step.advance)
			read()
			if int(c.GetCustomerByRefID.Total) != step.active || len(c.GetCustomerByRefID.PEs) != step.active {
				t.Fatalf("after %v: total %v, listed %d, want %d", step.advance, c.GetCustomerByRefID.Total, len(c.GetCustomerByRefID.PEs), step.active)
			}
		}
		// The connection lists expired grants too, filtered by derived status.
		var conn struct {
			Active struct {
				TotalCount int `json:"totalCount"`
			} `json:"active"`
			Expired struct {
				TotalCount int `json:"totalCount"`
			} `json:"expired"`
			All struct {
				TotalCount int `json:"totalCount"`
			} `json:"all"`
		}
		s.Query(`{ active: promotionalEntitlements(filter: {status: {eq: Active}}) { totalCount }
			expired: promotionalEntitlements(filter: {status: {in: [Expired]}}) { totalCount }
			all: promotionalEntitlements(paging: {first: 2}) { totalCount } }`, nil, &conn)
		if conn.Active.TotalCount != 1 || conn.Expired.TotalCount != 5 || conn.All.TotalCount != 6 {
			t.Fatalf("connection counts: %+v", conn)
		}
	})
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestGrantReplacesAndRevoke(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "rep"})
		first := grant(t, s, "rep", map[string]any{"featureId": "feature-seats", "period": "ONE_WEEK", "usageLimit": 5})
		s.Clock.Advance(time.Hour)
		second := grant(t, s, "rep", map[string]any{"featureId": "feature-seats", "period": "ONE_YEAR", "usageLimit": 50})
		if second[0].ID == first[0].ID || *second[0].UsageLimit != 50 || second[0].StartDate == first[0].StartDate {
			t.Fatalf("regrant should replace: %+v then %+v", first, second)
		}
		var all struct {
			PromotionalEntitlements struct {
				TotalCount int `json:"totalCount"`
			} `json:"promotionalEntitlements"`
		}
		s.Query(`{ promotionalEntitlements { totalCount } }`, nil, &all)
		if all.PromotionalEntitlements.TotalCount != 1 {
			t.Fatalf("replacement left %d grants", all.PromotionalEntitlements.TotalCount)
		}
		// The customer filter on promotional entitlements sees it.
		got := listCustomers(t, s, s.Key, map[string]any{"filter": map[string]any{"promotionalEntitlements": map[string]any{"status": map[string]any{"eq": "Active"}}}})
		if !slices.Equal(slugsOf(got), []string{"rep"}) {
			t.Fatalf("filter: %v", slugsOf(got))
		}
		var rev struct {
			RevokePromotionalEntitlement struct {
				ID string `json:"id"`
			} `json:"revokePromotionalEntitlement"`
		}
		s.Query(`mutation { revokePromotionalEntitlement(input: {customerId: "rep", featureId: "feature-seats"}) { id } }`, nil, &rev)
		if rev.RevokePromotionalEntitlement.ID != second[0].ID {
			t.Fatalf("revoked %+v", rev)
		}
		s.Fail("PromotionalEntitlementNotFoundError", `mutation { revokePromotionalEntitlement(input: {customerId: "rep", featureId: "feature-seats"}) { id } }`, nil)
		if got := listCustomers(t, s, s.Key, map[string]any{"filter": map[string]any{"promotionalEntitlements": map[string]any{"id": map[string]any{"isNot": nil}}}}); len(got.Customers.Edges) != 0 {
			t.Fatalf("revoked grant still matches")
		}
	})
}

func TestGrantErrorsWriteNothing(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "err"})
		provision(t, s, s.Key, map[string]any{"customerId": "gone"})
		s.Query(`mutation { archiveCustomer(input: {customerId: "gone"}) { id } }`, nil, nil)
		ok := map[string]any{"featureId": "feature-seats", "period": "ONE_MONTH"}
		past := s.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		cases := []struct {
			name     string
			customer string
			grants   []map[string]any
			code     string
		}{
			{"unknown feature after a good one", "err", []map[string]any{ok, {"featureId": "feature-nope", "period": "ONE_MONTH"}}, "FeatureNotFound"},
			{"unknown customer", "ghost", []map[string]any{ok}, "CustomerNotFound"},
			{"archived customer", "gone", []map[string]any{ok}, "CustomerIsArchived"},
			{"custom without end", "err", []map[string]any{{"featureId": "feature-sso", "period": "CUSTOM"}}, "BadUserInput"},
			{"custom end in the past", "err", []map[string]any{{"featureId": "feature-sso", "period": "CUSTOM", "customEndDate": past}}, "BadUserInput"},
			{"end date without custom", "err", []map[string]any{{"featureId": "feature-sso", "period": "ONE_WEEK", "customEndDate": past}}, "BadUserInput"},
			{"feature twice", "err", []map[string]any{ok, ok}, "BadUserInput"},
			{"negative limit", "err", []map[string]any{{"featureId": "feature-seats", "period": "ONE_WEEK", "usageLimit": -1}}, "BadUserInput"},
			{"unknown period", "err", []map[string]any{{"featureId": "feature-seats", "period": "FOREVER"}}, "BadUserInput"},
			{"none", "err", []map[string]any{}, "BadUserInput"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.Fail(tc.code, grantMutation, map[string]any{"in": map[string]any{"customerId": tc.customer, "promotionalEntitlements": tc.grants}})
			})
		}
		var all struct {
			PromotionalEntitlements struct {
				TotalCount int `json:"totalCount"`
			} `json:"promotionalEntitlements"`
		}
		s.Query(`{ promotionalEntitlements { totalCount } }`, nil, &all)
		if all.PromotionalEntitlements.TotalCount != 0 {
			t.Fatalf("failed grants wrote %d rows", all.PromotionalEntitlements.TotalCount)
		}
		s.Fail("CustomerNotFound", `mutation { revokePromotionalEntitlement(input: {customerId: "ghost", featureId: "feature-seats"}) { id } }`, nil)
	})
}
