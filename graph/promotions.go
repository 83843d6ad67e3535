package graph

import (
	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/promotions"
)

// grantsOf maps grantPromotionalEntitlements' input to the domain's grants.
func grantsOf(in []*model.GrantPromotionalEntitlementInput) []promotions.Grant {
	out := make([]promotions.Grant, len(in))
	for i, g := range in {
		gr := promotions.Grant{
			FeatureRefID:      g.FeatureID,
			Period:            promotionalentitlement.GrantPeriod(g.Period),
			CustomEndDate:     g.CustomEndDate,
			UsageLimit:        g.UsageLimit,
			HasUnlimitedUsage: g.HasUnlimitedUsage,
			HasSoftLimit:      g.HasSoftLimit,
			EnumValues:        g.EnumValues,
			IsVisible:         g.IsVisible,
		}
		if g.ResetPeriod != nil {
			p := string(*g.ResetPeriod)
			gr.ResetPeriod = &p
		}
		switch {
		case g.MonthlyResetPeriodConfiguration != nil:
			gr.ResetConfiguration = map[string]any{"monthlyAccordingTo": string(g.MonthlyResetPeriodConfiguration.AccordingTo)}
		case g.WeeklyResetPeriodConfiguration != nil:
			gr.ResetConfiguration = map[string]any{"weeklyAccordingTo": string(g.WeeklyResetPeriodConfiguration.AccordingTo)}
		case g.YearlyResetPeriodConfiguration != nil:
			gr.ResetConfiguration = map[string]any{"yearlyAccordingTo": string(g.YearlyResetPeriodConfiguration.AccordingTo)}
		}
		out[i] = gr
	}
	return out
}

// resetConfiguration turns the stored reset setting back into the schema's
// union member.
func resetConfiguration(pe *ent.PromotionalEntitlement) model.ResetPeriodConfiguration {
	c := pe.ResetPeriodConfiguration
	if v, ok := c["monthlyAccordingTo"].(string); ok {
		m := model.MonthlyAccordingTo(v)
		return &model.MonthlyResetPeriodConfig{MonthlyAccordingTo: &m}
	}
	if v, ok := c["weeklyAccordingTo"].(string); ok {
		w := model.WeeklyAccordingTo(v)
		return &model.WeeklyResetPeriodConfig{WeeklyAccordingTo: &w}
	}
	if v, ok := c["yearlyAccordingTo"].(string); ok {
		y := model.YearlyAccordingTo(v)
		return &model.YearlyResetPeriodConfig{YearlyAccordingTo: &y}
	}
	return nil
}
