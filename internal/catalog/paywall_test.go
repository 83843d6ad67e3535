package catalog

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/price"
)

// TestCountryPrices: a billing country sees its own prices for the periods
// it has any, and the default prices for the others.
func TestCountryPrices(t *testing.T) {
	de, fr := "DE", "FR"
	prices := []*ent.Price{
		{Currency: "USD", BillingPeriod: price.BillingPeriodMONTHLY},
		{Currency: "USD", BillingPeriod: price.BillingPeriodANNUALLY},
		{Currency: "EUR", BillingPeriod: price.BillingPeriodMONTHLY, BillingCountryCode: &de},
	}
	for _, tc := range []struct {
		country *string
		want    []string
	}{
		{nil, []string{"USD MONTHLY", "USD ANNUALLY"}},
		{&de, []string{"USD ANNUALLY", "EUR MONTHLY"}},
		{&fr, []string{"USD MONTHLY", "USD ANNUALLY"}},
	} {
		var got []string
		for _, p := range CountryPrices(prices, tc.country) {
			got = append(got, p.Currency+" "+string(p.BillingPeriod))
		}
		if len(got) != len(tc.want) {
			t.Fatalf("country %v: %v, want %v", deref(tc.country), got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("country %v: %v, want %v", deref(tc.country), got, tc.want)
			}
		}
	}
}
