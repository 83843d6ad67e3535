package entitlements

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// FeatureType and MeterType are the catalog's feature kinds.
const (
	Boolean = "BOOLEAN"
	Number  = "NUMBER"
	Enum    = "ENUM"

	MeterNone        = "None"
	MeterFluctuating = "Fluctuating"
	MeterIncremental = "Incremental"
)

// SourceKind says where a grant comes from.
type SourceKind string

// The grant sources.
const (
	FromPlan      SourceKind = "PLAN"
	FromAddon     SourceKind = "ADDON"
	FromPromotion SourceKind = "PROMOTION"
	// FromSubscription is a subscription's own entitlement of a feature
	// (subscriptionEntitlements), which replaces its plan's and add-ons'.
	FromSubscription SourceKind = "SUBSCRIPTION"
)

// Source names one thing that granted (part of) an entitlement: a
// subscription's plan or add-on, or a promotional grant. It answers "why
// does this customer have SSO".
type Source struct {
	Kind SourceKind
	// RefID is the plan's, add-on's or feature's (promotion) refId.
	RefID string
	// SubscriptionRefID is the subscription, for plans and add-ons.
	SubscriptionRefID string
}

// Grant is what one source grants of one feature, before merging.
type Grant struct {
	FeatureID uuid.UUID
	Source    Source
	// UsageLimit nil and Unlimited false: access without a limit value
	// (boolean and enum features).
	UsageLimit *float64
	Unlimited  bool
	SoftLimit  bool
	EnumValues []string
	// ResetPeriod is empty when usage never resets.
	ResetPeriod ResetPeriod
	ResetConfig ResetConfig
	// Anchor is where usage periods are counted from: the subscription's
	// start, or the promotional grant's start.
	Anchor time.Time
	// UpdatedAt is when the source last changed.
	UpdatedAt time.Time
	// ValidUntil is when the source stops granting (the subscription's or
	// grant's end, a trial that cancels), if known.
	ValidUntil          *time.Time
	DisplayNameOverride *string
	HiddenFromWidgets   []string
}

// Behavior is how an add-on's entitlement combines with the plan's:
// Increment adds to the plan's limit (the default), Override replaces it.
type Behavior string

// The add-on behaviors.
const (
	Increment Behavior = "Increment"
	Override  Behavior = "Override"
)

// AddonGrant is an add-on entitlement with the add-on's quantity on the
// subscription: numeric limits count once per unit.
type AddonGrant struct {
	Grant
	Behavior Behavior
	Quantity float64
}

// SubscriptionGrants combines what one subscription grants: its plan's
// entitlements (own first, then those inherited from base plans, nearest
// first: a plan's own entitlement of a feature hides its base plan's), then
// its add-ons, each times its quantity, added to the plan's limit
// (Increment) or replacing it (Override). Unlimited on either side is
// unlimited; enum values are united. Features only an add-on entitles are
// granted by the add-on alone.
func SubscriptionGrants(planChain [][]Grant, addons []AddonGrant) map[uuid.UUID]*Grant {
	out := map[uuid.UUID]*Grant{}
	for _, level := range planChain {
		for i := range level {
			g := level[i]
			if _, hidden := out[g.FeatureID]; !hidden {
				out[g.FeatureID] = &g
			}
		}
	}
	for _, a := range addons {
		add := a.Grant
		add.EnumValues = slices.Clone(a.EnumValues)
		if add.UsageLimit != nil {
			v := *add.UsageLimit * a.Quantity
			add.UsageLimit = &v
		}
		cur, ok := out[a.FeatureID]
		if !ok {
			out[a.FeatureID] = &add
			continue
		}
		merged := *cur
		switch {
		case a.Behavior == Override:
			merged.UsageLimit, merged.Unlimited, merged.SoftLimit = add.UsageLimit, add.Unlimited, add.SoftLimit
		case cur.Unlimited || add.Unlimited:
			merged.UsageLimit, merged.Unlimited = nil, true
		case cur.UsageLimit != nil && add.UsageLimit != nil:
			v := *cur.UsageLimit + *add.UsageLimit
			merged.UsageLimit = &v
		case add.UsageLimit != nil:
			merged.UsageLimit = add.UsageLimit
		}
		if a.Behavior != Override {
			merged.SoftLimit = cur.SoftLimit || add.SoftLimit
		}
		merged.EnumValues = union(cur.EnumValues, add.EnumValues)
		merged.UpdatedAt = later(cur.UpdatedAt, add.UpdatedAt)
		merged.ValidUntil = earlier(cur.ValidUntil, add.ValidUntil)
		out[a.FeatureID] = &merged
	}
	return out
}

// Merged is a feature's entitlement after merging every source.
type Merged struct {
	Grant
	// Sources lists every source that grants the feature, the one whose
	// limit won first.
	Sources []Source
}

// Merge combines the grants of several subscriptions and promotional
// grants by Stigg's generous rule: for each feature the most generous
// grant wins (unlimited beats any limit, then the higher limit, then a
// soft limit over a hard one at the same limit; on a tie the earlier
// grant in the list stays). The winner's reset period and anchor apply;
// enum values are the union of all grants'; entitlementUpdatedAt is the
// latest of the sources' and validUntil the earliest. A promotional grant
// alone is enough for access. The result keeps the order in which features
// first appear.
func Merge(grants []*Grant) []*Merged {
	byFeature := map[uuid.UUID]*Merged{}
	var order []uuid.UUID
	for _, g := range grants {
		m, ok := byFeature[g.FeatureID]
		if !ok {
			c := *g
			c.EnumValues = slices.Clone(g.EnumValues)
			byFeature[g.FeatureID] = &Merged{Grant: c, Sources: []Source{g.Source}}
			order = append(order, g.FeatureID)
			continue
		}
		enums := union(m.EnumValues, g.EnumValues)
		updated, valid := later(m.UpdatedAt, g.UpdatedAt), earlier(m.ValidUntil, g.ValidUntil)
		if moreGenerous(g, &m.Grant) {
			m.Grant = *g
			m.Sources = append([]Source{g.Source}, m.Sources...)
		} else {
			m.Sources = append(m.Sources, g.Source)
		}
		m.EnumValues, m.UpdatedAt, m.ValidUntil = enums, updated, valid
	}
	out := make([]*Merged, len(order))
	for i, id := range order {
		out[i] = byFeature[id]
	}
	return out
}

// moreGenerous reports whether a gives strictly more than b.
func moreGenerous(a, b *Grant) bool {
	switch {
	case a.Unlimited != b.Unlimited:
		return a.Unlimited
	case a.Unlimited:
		return false
	case (a.UsageLimit == nil) != (b.UsageLimit == nil):
		return a.UsageLimit != nil
	case a.UsageLimit != nil && *a.UsageLimit != *b.UsageLimit:
		return *a.UsageLimit > *b.UsageLimit
	}
	return a.SoftLimit && !b.SoftLimit
}

// union is a followed by the values of b it lacks.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.Before(*a):
		return b
	}
	return a
}

// ApplyOverride puts a subscription's own entitlement of a feature into its
// combined grants (SubscriptionGrants' result): it replaces what the plan
// and add-ons grant of that feature for that subscription, or adds the
// feature. The plan's display settings of the feature are kept.
func ApplyOverride(combined map[uuid.UUID]*Grant, o Grant) {
	if cur := combined[o.FeatureID]; cur != nil {
		o.DisplayNameOverride, o.HiddenFromWidgets = cur.DisplayNameOverride, cur.HiddenFromWidgets
		o.UpdatedAt = later(cur.UpdatedAt, o.UpdatedAt)
	}
	combined[o.FeatureID] = &o
}
