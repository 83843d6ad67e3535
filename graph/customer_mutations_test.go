package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const customerFields = `id customerId refId name email billingId billingCurrency crmId salesforceId
	awsMarketplaceCustomerId additionalMetaData createdAt updatedAt deletedAt hasPaymentMethod
	defaultPaymentMethodId totalActivePromotionalEntitlements totalActiveSubscription hasActiveSubscription
	promotionalEntitlements { id } syncStates { status } subscriptions { id } environmentId`

type customerJSON struct {
	ID                                 string         `json:"id"`
	CustomerID                         string         `json:"customerId"`
	RefID                              string         `json:"refId"`
	Name                               *string        `json:"name"`
	Email                              *string        `json:"email"`
	BillingID                          *string        `json:"billingId"`
	BillingCurrency                    *string        `json:"billingCurrency"`
	CrmID                              *string        `json:"crmId"`
	SalesforceID                       *string        `json:"salesforceId"`
	AdditionalMetaData                 map[string]any `json:"additionalMetaData"`
	CreatedAt                          string         `json:"createdAt"`
	UpdatedAt                          string         `json:"updatedAt"`
	DeletedAt                          *string        `json:"deletedAt"`
	HasPaymentMethod                   bool           `json:"hasPaymentMethod"`
	DefaultPaymentMethodID             *string        `json:"defaultPaymentMethodId"`
	TotalActivePromotionalEntitlements float64        `json:"totalActivePromotionalEntitlements"`
	TotalActiveSubscription            float64        `json:"totalActiveSubscription"`
	HasActiveSubscription              bool           `json:"hasActiveSubscription"`
	PromotionalEntitlements            []any          `json:"promotionalEntitlements"`
	SyncStates                         []any          `json:"syncStates"`
	Subscriptions                      []any          `json:"subscriptions"`
	EnvironmentID                      string         `json:"environmentId"`
}

// provision creates a customer through the API and returns it.
func provision(t *testing.T, s *apitest.Server, key string, input map[string]any) customerJSON {
	t.Helper()
	var out struct {
		ProvisionCustomer struct {
			Customer customerJSON `json:"customer"`
		} `json:"provisionCustomer"`
	}
	s.QueryAs(key, `mutation($in: ProvisionCustomerInput!) { provisionCustomer(input: $in) { customer { `+customerFields+` } } }`,
		map[string]any{"in": input}, &out)
	return out.ProvisionCustomer.Customer
}

func getCustomer(t *testing.T, s *apitest.Server, key, id string) (customerJSON, *apitest.Response) {
	t.Helper()
	r := s.Raw(key, `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { `+customerFields+` } }`, map[string]any{"id": id})
	var out struct {
		GetCustomerByRefID *customerJSON `json:"getCustomerByRefId"`
	}
	_ = json.Unmarshal(r.Data, &out)
	if out.GetCustomerByRefID == nil {
		return customerJSON{}, r
	}
	return *out.GetCustomerByRefID, r
}

func mustNotExist(t *testing.T, s *apitest.Server, id string) {
	t.Helper()
	if _, r := getCustomer(t, s, s.Key, id); len(r.Errors) == 0 || r.Errors[0].Code() != "CustomerNotFound" {
		t.Fatalf("customer %q should not exist; got %+v", id, r)
	}
}

func eachServer(t *testing.T, fn func(t *testing.T, s *apitest.Server)) {
	testdb.Each(t, func(t *testing.T, st *db.Store) { fn(t, apitest.New(t, st)) })
}

func TestProvisionCustomer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		c := provision(t, s, s.Key, map[string]any{
			"customerId": "acme", "name": "Acme Inc", "email": "billing@acme.io",
			"billingId": "cus_123", "crmId": "crm-1", "salesforceId": "sf-1",
			"additionalMetaData": map[string]any{"tier": "gold", "seats": 12},
			"billingInformation": map[string]any{"currency": "EUR"},
		})
		if c.CustomerID != "acme" || c.RefID != "acme" || *c.Name != "Acme Inc" || *c.Email != "billing@acme.io" {
			t.Fatalf("unexpected customer %+v", c)
		}
		if *c.BillingID != "cus_123" || *c.BillingCurrency != "EUR" || *c.CrmID != "crm-1" || *c.SalesforceID != "sf-1" {
			t.Fatalf("billing fields not stored: %+v", c)
		}
		if c.AdditionalMetaData["tier"] != "gold" || c.AdditionalMetaData["seats"].(float64) != 12 {
			t.Fatalf("metadata not stored: %v", c.AdditionalMetaData)
		}
		if c.HasPaymentMethod || c.TotalActivePromotionalEntitlements != 0 || c.TotalActiveSubscription != 0 || c.HasActiveSubscription {
			t.Fatalf("computed fields of a new customer are wrong: %+v", c)
		}
		if c.PromotionalEntitlements == nil || c.SyncStates == nil || c.Subscriptions == nil {
			t.Fatalf("lists must be empty, not null: %+v", c)
		}
		if c.CreatedAt != "2026-01-01T12:00:00.000Z" || c.UpdatedAt != c.CreatedAt || c.DeletedAt != nil {
			t.Fatalf("timestamps: created %s updated %s", c.CreatedAt, c.UpdatedAt)
		}
		got, r := getCustomer(t, s, s.Key, "acme")
		if len(r.Errors) > 0 || got.ID != c.ID {
			t.Fatalf("getCustomerByRefId: %+v %+v", got, r.Errors)
		}

		// Without customerId the server makes one up, as Stigg does.
		gen := provision(t, s, s.Key, map[string]any{"name": "No slug"})
		if !strings.HasPrefix(gen.CustomerID, "customer-") {
			t.Fatalf("generated customerId %q", gen.CustomerID)
		}

		var dec struct {
			ProvisionCustomer struct {
				SubscriptionDecisionStrategy string `json:"subscriptionDecisionStrategy"`
				Subscription                 any    `json:"subscription"`
			} `json:"provisionCustomer"`
		}
		s.Query(`mutation { provisionCustomer(input: {customerId: "p2"}) { subscriptionDecisionStrategy subscription { id } } }`, nil, &dec)
		if dec.ProvisionCustomer.SubscriptionDecisionStrategy != "SKIPPED_SUBSCRIPTION_CREATION" || dec.ProvisionCustomer.Subscription != nil {
			t.Fatalf("decision: %+v", dec)
		}
	})
}

func TestCreateCustomerErrors(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "taken"})
		long := strings.Repeat("x", 256)
		bigMeta := map[string]any{"blob": strings.Repeat("y", 40*1024)}
		cases := []struct {
			name  string
			input map[string]any
			code  string
			slug  string // must not exist afterwards
		}{
			{"duplicate", map[string]any{"customerId": "taken"}, "DuplicatedEntityNotAllowed", ""},
			{"empty id", map[string]any{"customerId": " "}, "BadUserInput", " "},
			{"id too long", map[string]any{"customerId": long}, "BadUserInput", long},
			{"bad email", map[string]any{"customerId": "e1", "email": "not-an-email"}, "BadUserInput", "e1"},
			{"email with name", map[string]any{"customerId": "e2", "email": "Bob <bob@x.io>"}, "BadUserInput", "e2"},
			{"name too long", map[string]any{"customerId": "n1", "name": long}, "BadUserInput", "n1"},
			{"metadata too big", map[string]any{"customerId": "m1", "additionalMetaData": bigMeta}, "BadUserInput", "m1"},
			{"metadata not an object", map[string]any{"customerId": "m2", "additionalMetaData": []any{1, 2}}, "BadUserInput", "m2"},
			{"unknown currency", map[string]any{"customerId": "cur", "billingInformation": map[string]any{"currency": "XXX"}}, "BadUserInput", "cur"},
			{"coupon unknown", map[string]any{"customerId": "cp", "couponRefId": "nope"}, "CouponNotFound", "cp"},
			// The customer and its subscription are written in one transaction:
			// an unknown plan leaves no customer behind.
			{"subscription on unknown plan", map[string]any{"customerId": "sp", "subscriptionParams": map[string]any{"planId": "plan-x"}}, "PlanNotFound", "sp"},
			{"customerId and refId differ", map[string]any{"customerId": "a", "refId": "b"}, "BadUserInput", "a"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.Fail(tc.code, `mutation($in: ProvisionCustomerInput!) { provisionCustomer(input: $in) { customer { id } } }`, map[string]any{"in": tc.input})
				if tc.input["subscriptionParams"] == nil { // createOneCustomer has no subscriptionParams
					s.Fail(tc.code, `mutation($in: CustomerInput!) { createOneCustomer(input: $in) { id } }`, map[string]any{"in": tc.input})
				}
				if tc.slug != "" && strings.TrimSpace(tc.slug) != "" {
					mustNotExist(t, s, tc.slug)
				}
			})
		}
	})
}

func TestImportOneCustomer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		imp := func(in map[string]any) customerJSON {
			var out struct {
				ImportOneCustomer customerJSON `json:"importOneCustomer"`
			}
			s.Query(`mutation($in: ImportCustomerInput!) { importOneCustomer(input: $in) { `+customerFields+` } }`, map[string]any{"in": in}, &out)
			return out.ImportOneCustomer
		}
		c := imp(map[string]any{"customerId": "imp", "name": "First", "paymentMethodId": "pm_1"})
		if *c.Name != "First" || !c.HasPaymentMethod {
			t.Fatalf("import create: %+v", c)
		}
		s.Clock.Advance(60e9)
		c2 := imp(map[string]any{"customerId": "imp", "name": "Second"})
		if c2.ID != c.ID || *c2.Name != "Second" || c2.UpdatedAt == c.UpdatedAt {
			t.Fatalf("import update: %+v", c2)
		}
		// Source data older than our last update is skipped.
		c3 := imp(map[string]any{"customerId": "imp", "name": "Stale", "updatedAt": "2025-01-01T00:00:00Z"})
		if *c3.Name != "Second" {
			t.Fatalf("stale import applied: %+v", c3)
		}
		// Newer source data applies.
		c4 := imp(map[string]any{"customerId": "imp", "name": "Fresh", "updatedAt": "2027-01-01T00:00:00Z"})
		if *c4.Name != "Fresh" {
			t.Fatalf("fresh import not applied: %+v", c4)
		}
		s.Fail("BadUserInput", `mutation { importOneCustomer(input: {customerId: "x", email: "nope"}) { id } }`, nil)
		s.Fail("BadUserInput", `mutation { importOneCustomer(input: {name: "no id"}) { id } }`, nil)
		mustNotExist(t, s, "x")
	})
}

func TestImportCustomersBulk(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "bulk-00005", "name": "Existing"})
		const n = 10000
		customers := make([]map[string]any, n)
		for i := range customers {
			customers[i] = map[string]any{"customerId": fmt.Sprintf("bulk-%05d", i), "name": fmt.Sprintf("Customer %d", i), "email": fmt.Sprintf("c%d@example.com", i)}
		}
		var out struct {
			ImportCustomersBulk string `json:"importCustomersBulk"`
		}
		s.Query(`mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`, map[string]any{"in": map[string]any{"customers": customers}}, &out)
		if out.ImportCustomersBulk == "" {
			t.Fatal("no import id returned")
		}
		count, err := s.Store.Client.Customer.Query().Count(t.Context())
		if err != nil || count != n {
			t.Fatalf("count = %d, %v; want %d", count, err, n)
		}
		c, _ := getCustomer(t, s, s.Key, "bulk-00005")
		if *c.Name != "Customer 5" {
			t.Fatalf("existing customer not updated by import: %+v", c)
		}

		// All or nothing: one bad row at the end writes nothing.
		bad := []map[string]any{}
		for i := 0; i < 1200; i++ {
			bad = append(bad, map[string]any{"customerId": fmt.Sprintf("tx-%d", i)})
		}
		bad = append(bad, map[string]any{"customerId": "tx-bad", "email": "broken"})
		r := s.Fail("BadUserInput", `mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`, map[string]any{"in": map[string]any{"customers": bad}})
		if f := r.Errors[0].Extensions["field"]; f != "customers[1200].email" {
			t.Fatalf("error field = %v", f)
		}
		dup := []map[string]any{{"customerId": "d1"}, {"customerId": "d1"}}
		s.Fail("BadUserInput", `mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`, map[string]any{"in": map[string]any{"customers": dup}})
		count2, _ := s.Store.Client.Customer.Query().Count(t.Context())
		if count2 != n {
			t.Fatalf("failed imports wrote rows: %d", count2-n)
		}
	})
}

func TestUpdateOneCustomer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "u1", "name": "Old", "email": "old@x.io", "crmId": "crm", "additionalMetaData": map[string]any{"a": 1}})
		s.Clock.Advance(1e9)
		var out struct {
			UpdateOneCustomer customerJSON `json:"updateOneCustomer"`
		}
		s.Query(`mutation { updateOneCustomer(input: {customerId: "u1", name: "New"}) { `+customerFields+` } }`, nil, &out)
		c := out.UpdateOneCustomer
		if *c.Name != "New" || *c.Email != "old@x.io" || *c.CrmID != "crm" || c.AdditionalMetaData["a"].(float64) != 1 {
			t.Fatalf("only name should change: %+v", c)
		}
		if c.UpdatedAt != "2026-01-01T12:00:01.000Z" {
			t.Fatalf("updatedAt = %s", c.UpdatedAt)
		}
		// Explicit null clears; absent keeps.
		s.Query(`mutation($in: UpdateCustomerInput!) { updateOneCustomer(input: $in) { `+customerFields+` } }`,
			map[string]any{"in": map[string]any{"customerId": "u1", "email": nil, "crmId": nil, "additionalMetaData": nil}}, &out)
		c = out.UpdateOneCustomer
		if c.Email != nil || c.CrmID != nil || c.AdditionalMetaData != nil || *c.Name != "New" {
			t.Fatalf("explicit nulls should clear: %+v", c)
		}
		s.Query(`mutation { updateOneCustomer(input: {refId: "u1", billingInformation: {currency: USD}, salesforceId: "sf"}) { `+customerFields+` } }`, nil, &out)
		if *out.UpdateOneCustomer.BillingCurrency != "USD" || *out.UpdateOneCustomer.SalesforceID != "sf" {
			t.Fatalf("billing currency: %+v", out.UpdateOneCustomer)
		}
		s.Fail("CustomerNotFound", `mutation { updateOneCustomer(input: {customerId: "ghost", name: "x"}) { id } }`, nil)
		s.Fail("BadUserInput", `mutation { updateOneCustomer(input: {customerId: "u1", email: "bad"}) { id } }`, nil)
		s.Fail("BadUserInput", `mutation { updateOneCustomer(input: {name: "x"}) { id } }`, nil)
		s.Fail("CouponNotFound", `mutation { updateOneCustomer(input: {customerId: "u1", couponRefId: "c"}) { id } }`, nil)
		got, _ := getCustomer(t, s, s.Key, "u1")
		if got.Email != nil || *got.Name != "New" {
			t.Fatalf("failed updates must write nothing: %+v", got)
		}
	})
}

func TestArchiveAndUnarchive(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		first := provision(t, s, s.Key, map[string]any{"customerId": "arc", "name": "N", "email": "e@x.io"})
		var out struct {
			ArchiveCustomer   customerJSON `json:"archiveCustomer"`
			UnarchiveCustomer customerJSON `json:"unarchiveCustomer"`
		}
		s.Query(`mutation { archiveCustomer(input: {customerId: "arc"}) { `+customerFields+` } }`, nil, &out)
		a := out.ArchiveCustomer
		if a.DeletedAt == nil || a.Name != nil || a.Email != nil {
			t.Fatalf("archive must set deletedAt and clear name and email: %+v", a)
		}
		mustNotExist(t, s, "arc")
		s.Fail("CustomerNotFound", `mutation { archiveCustomer(input: {customerId: "arc"}) { id } }`, nil)

		s.Clock.Advance(1e9)
		// The slug is free again while the first is archived...
		second := provision(t, s, s.Key, map[string]any{"customerId": "arc"})
		if second.ID == first.ID {
			t.Fatal("expected a new customer")
		}
		// ...so unarchiving the first would duplicate it.
		s.Fail("DuplicatedEntityNotAllowed", `mutation { unarchiveCustomer(input: {customerId: "arc"}) { id } }`, nil)
		s.Query(`mutation { archiveCustomer(input: {customerId: "arc"}) { id } }`, nil, nil)
		s.Clock.Advance(1e9)
		s.Query(`mutation { unarchiveCustomer(input: {customerId: "arc"}) { `+customerFields+` } }`, nil, &out)
		if out.UnarchiveCustomer.DeletedAt != nil || out.UnarchiveCustomer.ID != second.ID {
			t.Fatalf("unarchive must restore the most recently archived: %+v", out.UnarchiveCustomer)
		}
		s.Fail("CustomerNotFound", `mutation { unarchiveCustomer(input: {customerId: "never"}) { id } }`, nil)
	})
}

func TestPaymentMethod(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "pm"})
		var out struct {
			AttachCustomerPaymentMethod customerJSON `json:"attachCustomerPaymentMethod"`
			DetachCustomerPaymentMethod customerJSON `json:"detachCustomerPaymentMethod"`
		}
		s.Query(`mutation { attachCustomerPaymentMethod(input: {customerId: "pm", paymentMethodId: "pm_123", vendorIdentifier: STRIPE, billingCurrency: GBP}) { `+customerFields+` } }`, nil, &out)
		if !out.AttachCustomerPaymentMethod.HasPaymentMethod || *out.AttachCustomerPaymentMethod.DefaultPaymentMethodID != "pm_123" || *out.AttachCustomerPaymentMethod.BillingCurrency != "GBP" {
			t.Fatalf("attach: %+v", out.AttachCustomerPaymentMethod)
		}
		s.Query(`mutation { detachCustomerPaymentMethod(input: {customerId: "pm"}) { `+customerFields+` } }`, nil, &out)
		if out.DetachCustomerPaymentMethod.HasPaymentMethod || out.DetachCustomerPaymentMethod.DefaultPaymentMethodID != nil {
			t.Fatalf("detach: %+v", out.DetachCustomerPaymentMethod)
		}
		s.Fail("CustomerNotFound", `mutation { attachCustomerPaymentMethod(input: {customerId: "ghost", paymentMethodId: "pm", vendorIdentifier: STRIPE}) { id } }`, nil)
		s.Fail("BadUserInput", `mutation { attachCustomerPaymentMethod(input: {customerId: "pm", paymentMethodId: "", vendorIdentifier: STRIPE}) { id } }`, nil)
		s.Fail("CustomerNotFound", `mutation { detachCustomerPaymentMethod(input: {customerId: "ghost"}) { id } }`, nil)
	})
}

func TestAuthentication(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		for _, key := range []string{"", "server-not-a-real-key"} {
			r := s.Raw(key, `{ customers { totalCount } }`, nil)
			if r.Status != http.StatusUnauthorized || len(r.Codes()) != 1 || r.Codes()[0] != "Unauthenticated" {
				t.Fatalf("key %q: status %d codes %v", key, r.Status, r.Codes())
			}
		}
		// Header name is case-insensitive.
		// (net/http canonicalises; this documents the behaviour clients rely on.)
		if r := s.Raw(s.Key, `{ __typename }`, nil); r.Status != http.StatusOK {
			t.Fatalf("valid key rejected: %d", r.Status)
		}
	})
}

func TestSecretsNeverLeave(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "sec"})
		r := s.Raw(s.Key, `{ getCustomerByRefId(input: {customerId: "sec"}) { environment { id slug apiKeys { token } } } }`, nil)
		raw, _ := json.Marshal(r)
		if strings.Contains(string(raw), s.Key) || strings.Contains(string(raw), s.Key[len("server-"):]) {
			t.Fatalf("response contains key material: %s", raw)
		}
		if !strings.Contains(string(r.Data), `"apiKeys":null`) {
			t.Fatalf("apiKeys should be null: %s", r.Data)
		}
		r = s.Fail("IdentityForbidden", `{ getCustomerByRefId(input: {customerId: "sec"}) { environment { signingToken } } }`, nil)
		raw, _ = json.Marshal(r)
		if strings.Contains(string(raw), s.Key) {
			t.Fatalf("leak: %s", raw)
		}
	})
}

func TestEnvironmentIDMustMatchKey(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		other := "00000000-0000-4000-8000-000000000001"
		s.Fail("IdentityForbidden", `mutation($e: UUID) { provisionCustomer(input: {customerId: "x", environmentId: $e}) { customer { id } } }`, map[string]any{"e": other})
		s.Fail("IdentityForbidden", `query($e: UUID) { getCustomerByRefId(input: {customerId: "x", environmentId: $e}) { id } }`, map[string]any{"e": other})
		s.Fail("BadUserInput", `query($e: UUID) { getCustomerByRefId(input: {customerId: "x", environmentId: $e}) { id } }`, map[string]any{"e": "not-a-uuid"})
		mustNotExist(t, s, "x")
	})
}

func TestUnexpectedErrorsHideDetails(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		provision(t, s, s.Key, map[string]any{"customerId": "boom"})
		// Break the store under the server: every query now fails inside
		// the driver, with SQL in the driver's message.
		_ = s.Store.DB.Close()
		r := s.Raw(s.Key, `{ getCustomerByRefId(input: {customerId: "boom"}) { id } }`, nil)
		raw, _ := json.Marshal(r.Errors)
		low := strings.ToLower(string(raw))
		for _, leak := range []string{"select", "sql", "customers", ".go", "goroutine", "database is closed"} {
			if strings.Contains(low, leak) {
				t.Fatalf("error leaks %q: %s", leak, raw)
			}
		}
		if len(r.Errors) == 0 || (r.Errors[0].Code() != "UnexpectedError" && r.Status != http.StatusServiceUnavailable) {
			t.Fatalf("want UnexpectedError, got %s (status %d)", raw, r.Status)
		}
	})
}
