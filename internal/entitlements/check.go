package entitlements

import (
	"slices"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
)

// AccessDeniedReason is why an entitlement is not granted, as Stigg's
// AccessDeniedReason enum names it.
type AccessDeniedReason string

// The reasons this server gives.
const (
	CustomerNotFound                   AccessDeniedReason = "CustomerNotFound"
	CustomerIsArchived                 AccessDeniedReason = "CustomerIsArchived"
	FeatureNotFound                    AccessDeniedReason = "FeatureNotFound"
	NoActiveSubscription               AccessDeniedReason = "NoActiveSubscription"
	NoFeatureEntitlementInSubscription AccessDeniedReason = "NoFeatureEntitlementInSubscription"
	RequestedUsageExceedingLimit       AccessDeniedReason = "RequestedUsageExceedingLimit"
	RequestedValuesMismatch            AccessDeniedReason = "RequestedValuesMismatch"
)

// Entitlement is what a customer may use of one feature, computed from
// every source at one instant, with its usage when the feature is
// metered. It carries every field of Stigg's Entitlement type that has data.
type Entitlement struct {
	// Feature is nil only for a check of an unknown feature.
	Feature *ent.Feature
	// CustomerRefID and ResourceID are the customer and resource asked about.
	CustomerRefID string
	ResourceID    *string

	IsGranted          bool
	AccessDeniedReason AccessDeniedReason // "" when granted

	UsageLimit          *float64
	HasUnlimitedUsage   bool
	HasSoftLimit        bool
	EnumValues          []string
	ResetPeriod         *ResetPeriod
	ResetConfig         *ResetConfig
	DisplayNameOverride *string
	HiddenFromWidgets   []string

	// Usage, for metered features: the current period (nil when usage
	// never resets), the usage in it, and when usage last changed.
	CurrentUsage      *float64
	UsagePeriodAnchor *time.Time
	UsagePeriodStart  *time.Time
	UsagePeriodEnd    *time.Time
	UsageUpdatedAt    *time.Time

	// EntitlementUpdatedAt is the last change of any source; ValidUntil
	// when the first source ends (the entitlement must be recomputed then).
	EntitlementUpdatedAt *time.Time
	ValidUntil           *time.Time

	// RequestedUsage and RequestedValues echo a check's request.
	RequestedUsage  *float64
	RequestedValues []string

	// Sources lists what grants the feature, the winning source first.
	Sources []Source
}

// Metered reports whether f counts usage (a NUMBER feature with a meter
// type other than None).
func Metered(f *ent.Feature) bool {
	return f != nil && string(f.FeatureType) == Number && string(f.MeterType) != MeterNone
}

// resets reports whether f's usage starts again each reset period: only
// incremental usage does (a fluctuating value such as seats in use is a
// level, not an amount per period).
func resets(f *ent.Feature, p *ResetPeriod) bool {
	return p != nil && Metered(f) && string(f.MeterType) == MeterIncremental
}

// Decide answers a check of a granted entitlement the way Stigg's SDKs
// decide from a cached one: a boolean or a non-metered number is granted;
// an enum when it has every requested value; a metered feature when its
// usage is unlimited or soft-limited, or the current usage plus the
// requested usage stays within the limit.
func Decide(e *Entitlement, requestedUsage float64, requestedValues []string) (bool, AccessDeniedReason) {
	f := e.Feature
	switch {
	case string(f.FeatureType) == Enum:
		for _, v := range requestedValues {
			if !slices.Contains(e.EnumValues, v) {
				return false, RequestedValuesMismatch
			}
		}
		return true, ""
	case !Metered(f), e.HasUnlimitedUsage, e.HasSoftLimit:
		return true, ""
	}
	limit, used := 0.0, 0.0
	if e.UsageLimit != nil {
		limit = *e.UsageLimit
	}
	if e.CurrentUsage != nil {
		used = *e.CurrentUsage
	}
	if used+requestedUsage <= limit {
		return true, ""
	}
	return false, RequestedUsageExceedingLimit
}
