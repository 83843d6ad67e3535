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

// Meter is how a metered feature turns raw usage events into usage, as
// Stigg's meters do: the events matching any of the filters (all when
// there is none) are aggregated per usage period.
type Meter struct {
	Filters     []MeterFilter    `json:"filters,omitempty"`
	Aggregation MeterAggregation `json:"aggregation"`
}

// MeterFilter matches an event when all its conditions hold.
type MeterFilter struct {
	Conditions []MeterCondition `json:"conditions"`
}

// MeterCondition tests one field of an event: "eventName" or a dimension.
// Operation is one of Stigg's ConditionOperation values (EQUALS,
// NOT_EQUALS, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN,
// LESS_THAN_OR_EQUAL, IS_NULL, IS_NOT_NULL).
type MeterCondition struct {
	Field     string   `json:"field"`
	Operation string   `json:"operation"`
	Value     string   `json:"value,omitempty"`
	Values    []string `json:"values,omitempty"`
}

// MeterAggregation is Stigg's aggregation: COUNT events, or SUM, MAX, MIN,
// AVG or count the UNIQUE values of a dimension (Field).
type MeterAggregation struct {
	Function string `json:"function"`
	Field    string `json:"field,omitempty"`
}
