// Package catalog loads an environment's catalog (products, features,
// plans, add-ons, prices, entitlements and coupons) from a declarative YAML
// or JSON file: parse, validate, then apply in one transaction. Entries are
// upserted by refId, so loading the same file again changes nothing, and an
// entry that left the file is deleted, or archived when something (a
// subscription, a customer) still uses it. docs/catalog.md describes the
// format; demo.yaml is the catalog served when no file is given.
package catalog

// File is a catalog file. Every entry is identified by its refId, unique per
// kind; references between entries use refIds.
type File struct {
	// Environment is the slug of the environment to load into; empty means
	// the default environment. It is created when missing.
	Environment string     `json:"environment,omitempty"`
	Products    []Product  `json:"products"`
	Features    []Feature  `json:"features"`
	Plans       []Package  `json:"plans"`
	Addons      []Package  `json:"addons"`
	Coupons     []Coupon   `json:"coupons"`
	name        string     // the file's name, for messages
	byRef       references // filled by Validate
}

// Product is a product entry.
type Product struct {
	RefID                 string         `json:"refId"`
	DisplayName           string         `json:"displayName"`
	Description           string         `json:"description,omitempty"`
	MultipleSubscriptions bool           `json:"multipleSubscriptions,omitempty"`
	IsDefault             bool           `json:"isDefault,omitempty"`
	DowngradePlan         string         `json:"downgradePlan,omitempty"`
	Metadata              map[string]any `json:"metadata,omitempty"`
}

// Feature is a feature entry.
type Feature struct {
	RefID       string         `json:"refId"`
	DisplayName string         `json:"displayName"`
	Description string         `json:"description,omitempty"`
	Type        string         `json:"type"`                // BOOLEAN, NUMBER or ENUM
	MeterType   string         `json:"meterType,omitempty"` // None (default), Fluctuating or Incremental
	Units       string         `json:"units,omitempty"`
	UnitsPlural string         `json:"unitsPlural,omitempty"`
	EnumValues  []EnumValue    `json:"enumValues,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	// Meter makes a metered feature count raw events (reportEvent)
	// instead of reported usage (reportUsage).
	Meter *Meter `json:"meter,omitempty"`
}

// Meter is a metered feature's event meter, as Stigg's meters: the events
// matching any filter (all events without filters) aggregated per usage
// period.
type Meter struct {
	Filters     []MeterFilter    `json:"filters,omitempty"`
	Aggregation MeterAggregation `json:"aggregation"`
}

// MeterFilter matches an event when all its conditions hold.
type MeterFilter struct {
	Conditions []MeterCondition `json:"conditions"`
}

// MeterCondition tests "eventName" or a dimension of an event.
type MeterCondition struct {
	Field     string   `json:"field"`
	Operation string   `json:"operation"` // EQUALS, NOT_EQUALS, GREATER_THAN(_OR_EQUAL), LESS_THAN(_OR_EQUAL), IS_NULL, IS_NOT_NULL
	Value     string   `json:"value,omitempty"`
	Values    []string `json:"values,omitempty"` // EQUALS any of / NOT_EQUALS all of
}

// MeterAggregation is COUNT, or SUM, MAX, MIN, AVG, UNIQUE of a field.
type MeterAggregation struct {
	Function string `json:"function"`
	Field    string `json:"field,omitempty"`
}

// EnumValue is an allowed value of an ENUM feature.
type EnumValue struct {
	Value       string `json:"value"`
	DisplayName string `json:"displayName,omitempty"`
}

// Package is a plan or an add-on entry. BasePlan, CompatibleAddons and Trial
// are for plans only; MaxQuantity and Dependencies for add-ons only.
type Package struct {
	RefID             string         `json:"refId"`
	Product           string         `json:"product"`
	DisplayName       string         `json:"displayName"`
	Description       string         `json:"description,omitempty"`
	PricingType       string         `json:"pricingType,omitempty"` // FREE, PAID or CUSTOM; derived from prices when empty
	BillingID         string         `json:"billingId,omitempty"`
	HiddenFromWidgets []string       `json:"hiddenFromWidgets,omitempty"`
	Metadata          map[string]any `json:"metadata,omitempty"`
	Entitlements      []Entitlement  `json:"entitlements,omitempty"`
	Prices            []Price        `json:"prices,omitempty"`

	BasePlan         string   `json:"basePlan,omitempty"`
	CompatibleAddons []string `json:"compatibleAddons,omitempty"`
	Trial            *Trial   `json:"trial,omitempty"`

	MaxQuantity  *float64 `json:"maxQuantity,omitempty"`
	Dependencies []string `json:"dependencies,omitempty"`
}

// Trial is a plan's default trial.
type Trial struct {
	Duration    int    `json:"duration"`
	Units       string `json:"units,omitempty"`       // DAY (default) or MONTH
	EndBehavior string `json:"endBehavior,omitempty"` // CONVERT_TO_PAID (default) or CANCEL_SUBSCRIPTION
}

// Entitlement is what a package grants of one feature.
type Entitlement struct {
	Feature             string   `json:"feature"`
	UsageLimit          *float64 `json:"usageLimit,omitempty"`
	Unlimited           bool     `json:"unlimited,omitempty"`
	SoftLimit           bool     `json:"softLimit,omitempty"`
	ResetPeriod         string   `json:"resetPeriod,omitempty"` // HOUR, DAY, WEEK, MONTH or YEAR
	EnumValues          []string `json:"enumValues,omitempty"`
	DisplayNameOverride string   `json:"displayNameOverride,omitempty"`
	Description         string   `json:"description,omitempty"`
	HiddenFromWidgets   []string `json:"hiddenFromWidgets,omitempty"`
	Behavior            string   `json:"behavior,omitempty"` // Increment (default) or Override
}

// Price is a price point of a package.
type Price struct {
	BillingModel       string   `json:"billingModel"`  // FLAT_FEE, PER_UNIT or USAGE_BASED
	BillingPeriod      string   `json:"billingPeriod"` // MONTHLY or ANNUALLY
	Amount             *float64 `json:"amount,omitempty"`
	Currency           string   `json:"currency,omitempty"` // ISO 4217, USD by default
	Feature            string   `json:"feature,omitempty"`  // required for PER_UNIT and USAGE_BASED
	Tiers              []Tier   `json:"tiers,omitempty"`
	TiersMode          string   `json:"tiersMode,omitempty"` // VOLUME or GRADUATED, with tiers
	MinUnitQuantity    *float64 `json:"minUnitQuantity,omitempty"`
	MaxUnitQuantity    *float64 `json:"maxUnitQuantity,omitempty"`
	BlockSize          *float64 `json:"blockSize,omitempty"`
	BillingCountryCode string   `json:"billingCountryCode,omitempty"`
	BillingID          string   `json:"billingId,omitempty"`
}

// Tier is one tier of a tiered price; the last tier has no upTo.
type Tier struct {
	UpTo      *float64 `json:"upTo,omitempty"`
	UnitPrice *float64 `json:"unitPrice,omitempty"`
	FlatPrice *float64 `json:"flatPrice,omitempty"`
}

// Coupon is a coupon entry: exactly one of PercentOff and AmountsOff.
type Coupon struct {
	RefID            string         `json:"refId"`
	Name             string         `json:"name"`
	Description      string         `json:"description,omitempty"`
	PercentOff       *float64       `json:"percentOff,omitempty"`
	AmountsOff       []Money        `json:"amountsOff,omitempty"`
	DurationInMonths *int           `json:"durationInMonths,omitempty"` // forever when absent
	Archived         bool           `json:"archived,omitempty"`
	BillingID        string         `json:"billingId,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
}

// Money is an amount in a currency.
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}
