package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
)

// entitlementFeature shapes a feature as EntitlementFeature.
func entitlementFeature(f *ent.Feature) *model.EntitlementFeature {
	if f == nil {
		return nil
	}
	return &model.EntitlementFeature{ID: f.ID.String(), RefID: f.RefID, DisplayName: f.DisplayName,
		Description: f.Description, AdditionalMetaData: f.AdditionalMetaData,
		FeatureType: model.FeatureType(f.FeatureType), FeatureStatus: model.FeatureStatus(f.FeatureStatus),
		MeterType: optEnum[model.MeterType](&f.MeterType), FeatureUnits: f.FeatureUnits,
		FeatureUnitsPlural: f.FeatureUnitsPlural, EnumConfiguration: enumConfiguration(f.EnumConfiguration)}
}

// resetConfigModel shapes a reset configuration as the
// ResetPeriodConfiguration union member of its period, nil when it says
// nothing beyond the default.
func resetConfigModel(p *entitlements.ResetPeriod, c *entitlements.ResetConfig) model.ResetPeriodConfiguration {
	if p == nil || c == nil {
		return nil
	}
	switch {
	case *p == entitlements.Month && c.MonthlyAccordingTo != "":
		v := model.MonthlyAccordingTo(c.MonthlyAccordingTo)
		return &model.MonthlyResetPeriodConfig{MonthlyAccordingTo: &v}
	case *p == entitlements.Week && c.WeeklyAccordingTo != "":
		v := model.WeeklyAccordingTo(c.WeeklyAccordingTo)
		return &model.WeeklyResetPeriodConfig{WeeklyAccordingTo: &v}
	case *p == entitlements.Year && c.YearlyAccordingTo != "":
		v := model.YearlyAccordingTo(c.YearlyAccordingTo)
		return &model.YearlyResetPeriodConfig{YearlyAccordingTo: &v}
	}
	return nil
}

// entitlementModel shapes a computed entitlement as Entitlement. The
// usage period anchor is an ISO date (the SDK recomputes periods from it)
// and validUntil epoch milliseconds (the SDK refetches once it passed).
func entitlementModel(e *entitlements.Entitlement) *model.Entitlement {
	customerID := e.CustomerRefID
	out := &model.Entitlement{
		IsGranted: e.IsGranted, CustomerID: &customerID, ResourceID: e.ResourceID, Feature: entitlementFeature(e.Feature),
		UsageLimit: e.UsageLimit, HasUnlimitedUsage: e.HasUnlimitedUsage, EnumValues: e.EnumValues,
		CurrentUsage: e.CurrentUsage, DisplayNameOverride: e.DisplayNameOverride,
		EntitlementUpdatedAt: e.EntitlementUpdatedAt, UsageUpdatedAt: e.UsageUpdatedAt,
		UsagePeriodStart: e.UsagePeriodStart, UsagePeriodEnd: e.UsagePeriodEnd, NextResetDate: e.UsagePeriodEnd,
		RequestedUsage: e.RequestedUsage, RequestedValues: e.RequestedValues,
		ResetPeriod:              optEnum[model.EntitlementResetPeriod](e.ResetPeriod),
		ResetPeriodConfiguration: resetConfigModel(e.ResetPeriod, e.ResetConfig),
	}
	if e.Feature != nil {
		soft := e.HasSoftLimit
		out.HasSoftLimit = &soft
	}
	if len(e.HiddenFromWidgets) > 0 {
		out.HiddenFromWidgets = widgets(e.HiddenFromWidgets)
	}
	if e.AccessDeniedReason != "" {
		r := model.AccessDeniedReason(e.AccessDeniedReason)
		out.AccessDeniedReason = &r
	}
	if e.UsagePeriodAnchor != nil {
		a := e.UsagePeriodAnchor.UTC().Format(time.RFC3339Nano)
		out.UsagePeriodAnchor = &a
	}
	if e.ValidUntil != nil {
		ms := float64(e.ValidUntil.UnixMilli())
		out.ValidUntil = &ms
	}
	return out
}

// entitlementsAfter answers a mutation that changed a customer's
// subscriptions with the customer's entitlements (for resourceID) as
// computed after it: Stigg's SDKs cache that list as the customer's whole
// entitlements, so it carries usage, periods and every other source, as
// cachedEntitlements does, not only what the new subscription's plan grants.
func (r *Resolver) entitlementsAfter(ctx context.Context, env uuid.UUID, customerID string, resourceID *string) ([]*model.Entitlement, error) {
	st, err := r.Entitlements.ForCustomer(ctx, env, customerID, resourceID)
	if err != nil {
		return nil, err
	}
	return computedEntitlements(st.Entitlements), nil
}

func computedEntitlements(es []*entitlements.Entitlement) []*model.Entitlement {
	out := make([]*model.Entitlement, len(es))
	for i, e := range es {
		out[i] = entitlementModel(e)
	}
	return out
}

// environmentOfString is environmentOf for the inputs that type
// environmentId as a String.
func environmentOfString(ctx context.Context, requested *string) (uuid.UUID, error) {
	if requested == nil {
		return environmentOf(ctx, nil)
	}
	id, err := uuid.Parse(*requested)
	if err != nil {
		return uuid.Nil, apperr.BadInput("environmentId", "%q is not a valid environment id", *requested)
	}
	return environmentOf(ctx, &id)
}

// entitlementsState shapes a computed State as EntitlementsState.
func entitlementsState(st *entitlements.State) *model.EntitlementsState {
	out := &model.EntitlementsState{Entitlements: computedEntitlements(st.Entitlements)}
	if st.AccessDeniedReason != "" {
		r := model.EntitlementsStateAccessDeniedReason(st.AccessDeniedReason)
		out.AccessDeniedReason = &r
	}
	return out
}

// usageReport turns a usage input into a domain report.
func usageReport(customerID, featureID string, resourceID *string, value float64, behavior *model.UsageUpdateBehavior, createdAt *time.Time, dims map[string]any) entitlements.UsageReport {
	r := entitlements.UsageReport{CustomerRefID: customerID, FeatureRefID: featureID, ResourceID: resourceID, Value: value,
		CreatedAt: createdAt, Dimensions: dims}
	if behavior != nil {
		r.Behavior = entitlements.UpdateBehavior(*behavior)
	}
	return r
}

// resetConfigOf reads usageHistory's reset period configuration inputs.
func resetConfigOf(m *model.MonthlyResetPeriodConfigInput, w *model.WeeklyResetPeriodConfigInput, y *model.YearlyResetPeriodConfigInput) entitlements.ResetConfig {
	var c entitlements.ResetConfig
	if m != nil {
		c.MonthlyAccordingTo = string(m.AccordingTo)
	}
	if w != nil {
		c.WeeklyAccordingTo = string(w.AccordingTo)
	}
	if y != nil {
		c.YearlyAccordingTo = string(y.AccordingTo)
	}
	return c
}

func measurementPoints(s entitlements.Series) []*model.UsageMeasurementPoint {
	out := make([]*model.UsageMeasurementPoint, len(s.Points))
	for i, p := range s.Points {
		out[i] = &model.UsageMeasurementPoint{Date: p.Timestamp, Value: p.Value, IsResetPoint: p.IsResetPoint}
	}
	return out
}

func usageMarkers(h *entitlements.History) []*entitlements.Marker {
	out := make([]*entitlements.Marker, len(h.Markers))
	for i := range h.Markers {
		out[i] = &h.Markers[i]
	}
	return out
}

// usageHistoryModel shapes a history as UsageHistory: the whole usage, and
// one group per combination of the groupBy dimensions.
func usageHistoryModel(h *entitlements.History) *model.UsageHistory {
	end := h.End
	out := &model.UsageHistory{StartDate: h.Start, EndDate: &end, Markers: usageMarkers(h), UsageMeasurements: measurementPoints(h.Total)}
	for _, g := range h.Groups {
		info := make([]*model.GroupInfo, len(g.Tags))
		for i, t := range g.Tags {
			info[i] = &model.GroupInfo{Key: t.Key, Value: t.Value}
		}
		out.Groups = append(out.Groups, &model.GroupUsageHistory{GroupInfo: info, UsageMeasurements: measurementPoints(g)})
	}
	return out
}

// usageHistoryV2Model shapes a history as UsageHistoryV2: one series per
// group, or one untagged series when not grouped.
func usageHistoryV2Model(h *entitlements.History, grouped bool) *model.UsageHistoryV2 {
	series := []entitlements.Series{h.Total}
	if grouped {
		series = h.Groups
	}
	out := &model.UsageHistoryV2{Markers: usageMarkers(h), Series: []*model.UsageHistorySeries{}}
	for _, s := range series {
		tags := make([]*model.UsageHistorySeriesTag, len(s.Tags))
		for i, t := range s.Tags {
			tags[i] = &model.UsageHistorySeriesTag{Key: t.Key, Value: t.Value}
		}
		points := make([]*entitlements.Point, len(s.Points))
		for i := range s.Points {
			points[i] = &s.Points[i]
		}
		out.Series = append(out.Series, &model.UsageHistorySeries{Tags: tags, Points: points})
	}
	return out
}
