package schema

// PriceTier is one tier of a tiered price, stored as JSON in the price row.
// Amounts are in the price's currency; a nil UpTo is the last, open tier.
type PriceTier struct {
	UpTo      *float64 `json:"upTo,omitempty"`
	UnitPrice *float64 `json:"unitPrice,omitempty"`
	FlatPrice *float64 `json:"flatPrice,omitempty"`
}

// Money is an amount in a currency (ISO 4217 code, as Stigg's Currency enum
// spells it), stored as JSON where a row holds several (a coupon's amountsOff).
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// EnumValue is one allowed value of an ENUM feature.
type EnumValue struct {
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
}
