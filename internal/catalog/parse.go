// One file: reading a catalog file and its one validator, which walks the
// whole file with one set of references.

package catalog

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// Error is a problem with one entry of a catalog file.
type Error struct {
	File    string // the file's name
	Entry   string // which entry: plans[2] (plan-pro).prices[0]
	Problem string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("catalog %s: %s", e.File, e.Problem)
	}
	return fmt.Sprintf("catalog %s: %s: %s", e.File, e.Entry, e.Problem)
}

// maxErrors caps how many problems one validation reports.
const maxErrors = 50

// ReadFile reads, parses and validates the catalog file at path.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problem: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return Parse(path, data)
}

// Parse parses and validates a catalog in YAML or JSON (JSON is YAML) named
// name in messages. Unknown fields and duplicate keys are errors: a typo in a
// field name must not silently drop what it was meant to say.
func Parse(name string, data []byte) (*File, error) {
	var f File
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.DisallowUnknownField()); err != nil {
		return nil, &Error{File: name, Problem: "invalid YAML/JSON: " + yaml.FormatError(err, false, true)}
	}
	f.name = name
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// references index the entries of a validated file by refId.
type references struct {
	products map[string]*Product
	features map[string]*Feature
	plans    map[string]*Package
	addons   map[string]*Package
}

// validator collects the problems of one file.
type validator struct {
	file string
	errs []error
}

func (v *validator) fail(entry, format string, args ...any) {
	if len(v.errs) < maxErrors {
		v.errs = append(v.errs, &Error{File: v.file, Entry: entry, Problem: fmt.Sprintf(format, args...)})
	}
}

func entry(kind string, i int, ref string) string {
	if ref == "" {
		return fmt.Sprintf("%s[%d]", kind, i)
	}
	return fmt.Sprintf("%s[%d] (%s)", kind, i, ref)
}

var (
	refIDPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,254}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
)

func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }

func finite(f *float64) bool { return f == nil || !math.IsNaN(*f) && !math.IsInf(*f, 0) }

// Validate checks the whole file: refIds well formed and unique per kind,
// every reference resolvable, enum values known, amounts and limits not
// negative, plan inheritance without cycles. It reports every problem found
// (up to 50), each naming its entry.
func (f *File) Validate() error {
	v := &validator{file: f.name}
	r := references{products: map[string]*Product{}, features: map[string]*Feature{}, plans: map[string]*Package{}, addons: map[string]*Package{}}
	if f.Environment != "" && !refIDPattern.MatchString(f.Environment) {
		v.fail("environment", "%q is not a valid environment slug", f.Environment)
	}
	checkRef := func(e, ref string) bool {
		if !refIDPattern.MatchString(ref) {
			v.fail(e, "refId %q is missing or invalid (letters, digits, '-', '_', '.', ':'; at most 255)", ref)
			return false
		}
		return true
	}
	for i := range f.Products {
		p := &f.Products[i]
		e := entry("products", i, p.RefID)
		if !checkRef(e, p.RefID) {
			continue
		}
		if _, dup := r.products[p.RefID]; dup {
			v.fail(e, "duplicate product refId %q", p.RefID)
		}
		r.products[p.RefID] = p
	}
	for i := range f.Features {
		ft := &f.Features[i]
		e := entry("features", i, ft.RefID)
		if !checkRef(e, ft.RefID) {
			continue
		}
		if _, dup := r.features[ft.RefID]; dup {
			v.fail(e, "duplicate feature refId %q", ft.RefID)
		}
		r.features[ft.RefID] = ft
		if ft.DisplayName == "" {
			v.fail(e, "displayName is required")
		}
		if !oneOf(ft.Type, "BOOLEAN", "NUMBER", "ENUM") {
			v.fail(e, "type %q must be BOOLEAN, NUMBER or ENUM", ft.Type)
		}
		if ft.MeterType != "" && !oneOf(ft.MeterType, "None", "Fluctuating", "Incremental") {
			v.fail(e, "meterType %q must be None, Fluctuating or Incremental", ft.MeterType)
		}
		if ft.MeterType != "" && ft.MeterType != "None" && ft.Type != "NUMBER" {
			v.fail(e, "only NUMBER features can be metered")
		}
		if ft.Meter != nil {
			v.meter(e, ft)
		}
		if ft.Type == "ENUM" && len(ft.EnumValues) == 0 {
			v.fail(e, "an ENUM feature needs enumValues")
		}
		if ft.Type != "ENUM" && len(ft.EnumValues) > 0 {
			v.fail(e, "enumValues are for ENUM features only")
		}
		seen := map[string]bool{}
		for j, ev := range ft.EnumValues {
			if ev.Value == "" || seen[ev.Value] {
				v.fail(fmt.Sprintf("%s.enumValues[%d]", e, j), "enum value %q is empty or repeated", ev.Value)
			}
			seen[ev.Value] = true
		}
	}
	for kind, list := range map[string][]Package{"plans": f.Plans, "addons": f.Addons} {
		m := r.plans
		if kind == "addons" {
			m = r.addons
		}
		for i := range list {
			p := &list[i]
			e := entry(kind, i, p.RefID)
			if !checkRef(e, p.RefID) {
				continue
			}
			if _, dup := m[p.RefID]; dup {
				v.fail(e, "duplicate %s refId %q", strings.TrimSuffix(kind, "s"), p.RefID)
			}
			m[p.RefID] = p
		}
	}
	for i := range f.Plans {
		v.pkg(&r, "plans", i, &f.Plans[i], true)
	}
	for i := range f.Addons {
		v.pkg(&r, "addons", i, &f.Addons[i], false)
	}
	for i := range f.Products {
		p := &f.Products[i]
		if p.DowngradePlan == "" {
			continue
		}
		if pl, ok := r.plans[p.DowngradePlan]; !ok {
			v.fail(entry("products", i, p.RefID), "downgradePlan: unknown plan refId %q", p.DowngradePlan)
		} else if pl.Product != p.RefID {
			v.fail(entry("products", i, p.RefID), "downgradePlan %q belongs to product %q", p.DowngradePlan, pl.Product)
		}
	}
	// Inheritance must end: follow each plan's chain of base plans.
	for i := range f.Plans {
		seen := map[string]bool{}
		for ref := f.Plans[i].RefID; ref != ""; {
			if seen[ref] {
				v.fail(entry("plans", i, f.Plans[i].RefID), "basePlan chain loops back to %q", ref)
				break
			}
			seen[ref] = true
			p, ok := r.plans[ref]
			if !ok {
				break
			}
			ref = p.BasePlan
		}
	}
	coupons := map[string]bool{}
	for i := range f.Coupons {
		c := &f.Coupons[i]
		e := entry("coupons", i, c.RefID)
		if !checkRef(e, c.RefID) {
			continue
		}
		if coupons[c.RefID] {
			v.fail(e, "duplicate coupon refId %q", c.RefID)
		}
		coupons[c.RefID] = true
		if c.Name == "" {
			v.fail(e, "name is required")
		}
		switch {
		case c.PercentOff != nil && len(c.AmountsOff) > 0:
			v.fail(e, "give percentOff or amountsOff, not both")
		case c.PercentOff != nil:
			if !finite(c.PercentOff) || *c.PercentOff <= 0 || *c.PercentOff > 100 {
				v.fail(e, "percentOff must be more than 0 and at most 100, got %v", *c.PercentOff)
			}
		case len(c.AmountsOff) > 0:
			cur := map[string]bool{}
			for j, m := range c.AmountsOff {
				me := fmt.Sprintf("%s.amountsOff[%d]", e, j)
				if !finite(&m.Amount) || m.Amount <= 0 {
					v.fail(me, "amount must be positive, got %v", m.Amount)
				}
				if !currencyPattern.MatchString(m.Currency) || cur[m.Currency] {
					v.fail(me, "currency %q is not a 3-letter ISO 4217 code or is repeated", m.Currency)
				}
				cur[m.Currency] = true
			}
		default:
			v.fail(e, "a coupon needs percentOff or amountsOff")
		}
		if c.DurationInMonths != nil && *c.DurationInMonths <= 0 {
			v.fail(e, "durationInMonths must be positive (leave it out for a coupon that lasts forever)")
		}
	}
	if len(v.errs) > 0 {
		return errors.Join(v.errs...)
	}
	f.byRef = r
	return nil
}

var (
	widgets      = []string{"CHECKOUT", "CUSTOMER_PORTAL", "PAYWALL"}
	resetPeriods = []string{"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}
)

// pkg checks one plan (isPlan) or add-on.
func (v *validator) pkg(r *references, kind string, i int, p *Package, isPlan bool) {
	e := entry(kind, i, p.RefID)
	if p.DisplayName == "" {
		v.fail(e, "displayName is required")
	}
	if _, ok := r.products[p.Product]; !ok {
		v.fail(e, "unknown product refId %q", p.Product)
	}
	if p.PricingType != "" && !oneOf(p.PricingType, "FREE", "PAID", "CUSTOM") {
		v.fail(e, "pricingType %q must be FREE, PAID or CUSTOM", p.PricingType)
	}
	if p.PricingType == "FREE" && len(p.Prices) > 0 {
		v.fail(e, "a FREE package cannot have prices")
	}
	for _, w := range p.HiddenFromWidgets {
		if !oneOf(w, widgets...) {
			v.fail(e, "hiddenFromWidgets: %q must be one of %s", w, strings.Join(widgets, ", "))
		}
	}
	if isPlan {
		if p.MaxQuantity != nil || len(p.Dependencies) > 0 {
			v.fail(e, "maxQuantity and dependencies are for add-ons only")
		}
		if p.BasePlan != "" {
			if b, ok := r.plans[p.BasePlan]; !ok {
				v.fail(e, "basePlan: unknown plan refId %q", p.BasePlan)
			} else if b.Product != p.Product {
				v.fail(e, "basePlan %q belongs to another product (%q)", p.BasePlan, b.Product)
			}
		}
		seen := map[string]bool{}
		for _, a := range p.CompatibleAddons {
			if ad, ok := r.addons[a]; !ok {
				v.fail(e, "compatibleAddons: unknown add-on refId %q", a)
			} else if ad.Product != p.Product {
				v.fail(e, "compatibleAddons: add-on %q belongs to another product (%q)", a, ad.Product)
			}
			if seen[a] {
				v.fail(e, "compatibleAddons: %q is listed twice", a)
			}
			seen[a] = true
		}
		if t := p.Trial; t != nil {
			if t.Duration <= 0 {
				v.fail(e+".trial", "duration must be positive, got %d", t.Duration)
			}
			if t.Units != "" && !oneOf(t.Units, "DAY", "MONTH") {
				v.fail(e+".trial", "units %q must be DAY or MONTH", t.Units)
			}
			if t.EndBehavior != "" && !oneOf(t.EndBehavior, "CONVERT_TO_PAID", "CANCEL_SUBSCRIPTION") {
				v.fail(e+".trial", "endBehavior %q must be CONVERT_TO_PAID or CANCEL_SUBSCRIPTION", t.EndBehavior)
			}
		}
	} else {
		if p.BasePlan != "" || len(p.CompatibleAddons) > 0 || p.Trial != nil {
			v.fail(e, "basePlan, compatibleAddons and trial are for plans only")
		}
		if p.MaxQuantity != nil && (!finite(p.MaxQuantity) || *p.MaxQuantity < 1) {
			v.fail(e, "maxQuantity must be at least 1")
		}
		for _, d := range p.Dependencies {
			if _, ok := r.addons[d]; !ok {
				v.fail(e, "dependencies: unknown add-on refId %q", d)
			} else if d == p.RefID {
				v.fail(e, "dependencies: an add-on cannot depend on itself")
			}
		}
	}
	features := map[string]bool{}
	for j, en := range p.Entitlements {
		ee := fmt.Sprintf("%s.entitlements[%d]", e, j)
		ft, ok := r.features[en.Feature]
		if !ok {
			v.fail(ee, "unknown feature refId %q", en.Feature)
			continue
		}
		if features[en.Feature] {
			v.fail(ee, "feature %q has two entitlements in this package", en.Feature)
		}
		features[en.Feature] = true
		if !finite(en.UsageLimit) || en.UsageLimit != nil && *en.UsageLimit < 0 {
			v.fail(ee, "usageLimit must not be negative")
		}
		switch ft.Type {
		case "NUMBER":
			if (en.UsageLimit == nil) == !en.Unlimited {
				v.fail(ee, "a NUMBER feature needs exactly one of usageLimit and unlimited: true")
			}
		default:
			if en.UsageLimit != nil || en.Unlimited || en.SoftLimit || en.ResetPeriod != "" {
				v.fail(ee, "usageLimit, unlimited, softLimit and resetPeriod are for NUMBER features only (%q is %s)", en.Feature, ft.Type)
			}
		}
		if en.ResetPeriod != "" && !oneOf(en.ResetPeriod, resetPeriods...) {
			v.fail(ee, "resetPeriod %q must be one of %s", en.ResetPeriod, strings.Join(resetPeriods, ", "))
		}
		if en.Behavior != "" && !oneOf(en.Behavior, "Increment", "Override") {
			v.fail(ee, "behavior %q must be Increment or Override", en.Behavior)
		}
		for _, w := range en.HiddenFromWidgets {
			if !oneOf(w, widgets...) {
				v.fail(ee, "hiddenFromWidgets: %q must be one of %s", w, strings.Join(widgets, ", "))
			}
		}
		if len(en.EnumValues) > 0 {
			if ft.Type != "ENUM" {
				v.fail(ee, "enumValues are for ENUM features only")
			}
			for _, val := range en.EnumValues {
				if !slices.ContainsFunc(ft.EnumValues, func(x EnumValue) bool { return x.Value == val }) {
					v.fail(ee, "enum value %q is not a value of feature %q", val, en.Feature)
				}
			}
		}
	}
	keys := map[string]bool{}
	for j := range p.Prices {
		pr := &p.Prices[j]
		pe := fmt.Sprintf("%s.prices[%d]", e, j)
		if !oneOf(pr.BillingModel, "FLAT_FEE", "PER_UNIT", "USAGE_BASED") {
			v.fail(pe, "billingModel %q must be FLAT_FEE, PER_UNIT or USAGE_BASED", pr.BillingModel)
		}
		if !oneOf(pr.BillingPeriod, "MONTHLY", "ANNUALLY") {
			v.fail(pe, "billingPeriod %q must be MONTHLY or ANNUALLY", pr.BillingPeriod)
		}
		if pr.Currency == "" {
			pr.Currency = "USD"
		}
		if !currencyPattern.MatchString(pr.Currency) {
			v.fail(pe, "currency %q is not a 3-letter ISO 4217 code", pr.Currency)
		}
		if pr.BillingCountryCode != "" && !countryPattern.MatchString(pr.BillingCountryCode) {
			v.fail(pe, "billingCountryCode %q is not a 2-letter ISO 3166 code", pr.BillingCountryCode)
		}
		switch {
		case pr.BillingModel == "FLAT_FEE" && pr.Feature != "":
			v.fail(pe, "a FLAT_FEE price has no feature")
		case pr.BillingModel != "FLAT_FEE" && pr.Feature == "":
			v.fail(pe, "a %s price needs a feature", pr.BillingModel)
		case pr.Feature != "":
			if ft, ok := r.features[pr.Feature]; !ok {
				v.fail(pe, "unknown feature refId %q", pr.Feature)
			} else if ft.Type != "NUMBER" {
				v.fail(pe, "feature %q of a %s price must be a NUMBER feature", pr.Feature, pr.BillingModel)
			}
		}
		if (pr.Amount == nil) == (len(pr.Tiers) == 0) {
			v.fail(pe, "give amount or tiers (exactly one)")
		}
		for name, n := range map[string]*float64{"amount": pr.Amount, "minUnitQuantity": pr.MinUnitQuantity, "maxUnitQuantity": pr.MaxUnitQuantity, "blockSize": pr.BlockSize} {
			if !finite(n) || n != nil && *n < 0 {
				v.fail(pe, "%s must not be negative, got %v", name, *n)
			}
		}
		if pr.MinUnitQuantity != nil && pr.MaxUnitQuantity != nil && *pr.MinUnitQuantity > *pr.MaxUnitQuantity {
			v.fail(pe, "minUnitQuantity is more than maxUnitQuantity")
		}
		if len(pr.Tiers) > 0 {
			if pr.TiersMode == "" {
				pr.TiersMode = "VOLUME"
			}
			if !oneOf(pr.TiersMode, "VOLUME", "GRADUATED") {
				v.fail(pe, "tiersMode %q must be VOLUME or GRADUATED", pr.TiersMode)
			}
			last := 0.0
			for k, t := range pr.Tiers {
				te := fmt.Sprintf("%s.tiers[%d]", pe, k)
				if t.UnitPrice == nil && t.FlatPrice == nil {
					v.fail(te, "a tier needs unitPrice or flatPrice")
				}
				for name, n := range map[string]*float64{"unitPrice": t.UnitPrice, "flatPrice": t.FlatPrice} {
					if !finite(n) || n != nil && *n < 0 {
						v.fail(te, "%s must not be negative, got %v", name, *n)
					}
				}
				switch {
				case t.UpTo == nil && k != len(pr.Tiers)-1:
					v.fail(te, "only the last tier may leave upTo out")
				case t.UpTo != nil && (!finite(t.UpTo) || *t.UpTo <= last):
					v.fail(te, "upTo must grow from tier to tier")
				case t.UpTo != nil:
					last = *t.UpTo
				}
			}
		} else if pr.TiersMode != "" {
			v.fail(pe, "tiersMode without tiers")
		}
		k := priceKey(pr)
		if keys[k] {
			v.fail(pe, "two prices for the same billing period, model, feature, currency and country")
		}
		keys[k] = true
	}
}

// priceKey identifies a price within its package across reloads.
func priceKey(p *Price) string {
	return strings.Join([]string{p.BillingPeriod, p.BillingModel, p.Feature, p.Currency, p.BillingCountryCode}, "/")
}

var (
	aggregations = []string{"AVG", "COUNT", "MAX", "MIN", "SUM", "UNIQUE"}
	operations   = []string{"EQUALS", "NOT_EQUALS", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "IS_NULL", "IS_NOT_NULL"}
)

// meter checks a feature's event meter.
func (v *validator) meter(e string, ft *Feature) {
	m := ft.Meter
	if ft.Type != "NUMBER" || ft.MeterType == "" || ft.MeterType == "None" {
		v.fail(e, "a meter needs a metered feature (type NUMBER, meterType Fluctuating or Incremental)")
	}
	agg := m.Aggregation
	switch {
	case !oneOf(agg.Function, aggregations...):
		v.fail(e+".meter.aggregation", "function %q must be one of %s", agg.Function, strings.Join(aggregations, ", "))
	case agg.Function == "COUNT" && agg.Field != "":
		v.fail(e+".meter.aggregation", "COUNT takes no field")
	case agg.Function != "COUNT" && agg.Field == "":
		v.fail(e+".meter.aggregation", "%s needs the field to aggregate", agg.Function)
	}
	for i, f := range m.Filters {
		fe := fmt.Sprintf("%s.meter.filters[%d]", e, i)
		if len(f.Conditions) == 0 {
			v.fail(fe, "a filter needs conditions")
		}
		for j, c := range f.Conditions {
			ce := fmt.Sprintf("%s.conditions[%d]", fe, j)
			if c.Field == "" {
				v.fail(ce, "field is required (eventName or a dimension)")
			}
			if !oneOf(c.Operation, operations...) {
				v.fail(ce, "operation %q must be one of %s", c.Operation, strings.Join(operations, ", "))
				continue
			}
			nullary := c.Operation == "IS_NULL" || c.Operation == "IS_NOT_NULL"
			switch {
			case nullary && (c.Value != "" || len(c.Values) > 0):
				v.fail(ce, "%s takes no value", c.Operation)
			case !nullary && c.Value == "" && len(c.Values) == 0:
				v.fail(ce, "%s needs a value", c.Operation)
			case len(c.Values) > 0 && c.Operation != "EQUALS" && c.Operation != "NOT_EQUALS":
				v.fail(ce, "values are for EQUALS and NOT_EQUALS")
			}
		}
	}
}
