package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// The GraphQL shapes of the subscription operations: estimates and
// invoice previews, scheduled updates, imports. Each maps a domain value of
// internal/subscription; the resolvers only call these.

func discountModel(d *subscription.Discount) *model.SubscriptionPreviewDiscount {
	if d == nil {
		return nil
	}
	out := &model.SubscriptionPreviewDiscount{Name: &d.Name, Type: model.DiscountType(d.Type), Value: d.Value,
		DurationType: model.DiscountDurationType(d.DurationType()), Start: d.Start.UTC().Format(time.RFC3339)}
	if d.DurationInMonths != nil {
		out.DurationInMonths = ptr(float64(*d.DurationInMonths))
	}
	if d.End != nil {
		out.End = ptr(d.End.UTC().Format(time.RFC3339))
	}
	return out
}

func taxModel(t *subscription.Tax) *model.SubscriptionPreviewTaxDetails {
	if t == nil {
		return nil
	}
	return &model.SubscriptionPreviewTaxDetails{DisplayName: t.DisplayName, Inclusive: t.Inclusive, Percentage: t.Percentage}
}

func prorationModel(p *subscription.ProrationResult, currency string) *model.SubscriptionPreviewProrations {
	if p == nil {
		return nil
	}
	return &model.SubscriptionPreviewProrations{Credit: money(p.Credit, currency), Debit: money(p.Debit, currency),
		NetAmount: money(p.Net, currency), ProrationDate: p.Date, HasProrations: ptr(p.Credit != 0 || p.Debit != 0)}
}

func dateRange(start, end time.Time) *model.DateRange {
	return &model.DateRange{Start: &start, End: &end}
}

// estimateModel is estimateSubscription's and estimateSubscriptionUpdate's
// answer: the amounts due now, the subscription's recurring price.
func estimateModel(e *subscription.Estimate) *model.SubscriptionPreview {
	im, rec := e.Immediate, e.Recurring
	cur := im.Currency
	return &model.SubscriptionPreview{
		BillingPeriodRange: dateRange(e.Start, e.End),
		SubTotal:           money(im.SubTotal, cur), Total: money(im.Total, cur), TotalExcludingTax: money(im.TotalExcludingTax, cur),
		Tax: money(im.Tax, cur), TaxDetails: taxModel(im.TaxDetails),
		Discount: discountModel(im.DiscountDetails), DiscountAmount: money(im.Discount, cur),
		MinimumSpendAdjustment: money(0, cur),
		Proration:              prorationModel(e.Proration, cur),
		IsPlanDowngrade:        &e.IsPlanDowngrade, HasScheduledUpdates: &e.HasScheduledUpdates,
		Subscription: &model.SubscriptionPricePreviewDto{SubTotal: money(rec.SubTotal, rec.Currency), Total: money(rec.Total, rec.Currency),
			TotalExcludingTax: money(rec.TotalExcludingTax, rec.Currency), Tax: money(rec.Tax, rec.Currency), TaxDetails: taxModel(rec.TaxDetails),
			Discount: discountModel(rec.DiscountDetails), DiscountAmount: money(rec.Discount, rec.Currency)},
	}
}

// previewModel is previewSubscription's answer.
func previewModel(e *subscription.Estimate) *model.SubscriptionPreviewV2 {
	im, rec := e.Immediate, e.Recurring
	cur := im.Currency
	return &model.SubscriptionPreviewV2{
		BillingPeriodRange: dateRange(e.Start, e.End),
		IsPlanDowngrade:    &e.IsPlanDowngrade, HasScheduledUpdates: &e.HasScheduledUpdates,
		ImmediateInvoice: &model.ImmediateSubscriptionPreviewInvoice{
			SubTotal: money(im.SubTotal, cur), Total: money(im.Total, cur), TotalExcludingTax: money(im.TotalExcludingTax, cur),
			Tax: money(im.Tax, cur), TaxDetails: taxModel(im.TaxDetails), Discount: money(im.Discount, cur),
			DiscountDetails: discountModel(im.DiscountDetails), MinimumSpendAdjustment: money(0, cur),
			Proration: prorationModel(e.Proration, cur)},
		RecurringInvoice: &model.SubscriptionPreviewInvoice{
			SubTotal: money(rec.SubTotal, rec.Currency), Total: money(rec.Total, rec.Currency),
			TotalExcludingTax: money(rec.TotalExcludingTax, rec.Currency), Tax: money(rec.Tax, rec.Currency),
			TaxDetails: taxModel(rec.TaxDetails), Discount: money(rec.Discount, rec.Currency),
			DiscountDetails: discountModel(rec.DiscountDetails), MinimumSpendAdjustment: money(0, rec.Currency)},
		FreeItems: []*model.FreeSubscriptionItem{},
	}
}

// invoiceModel is previewNextInvoice's answer.
func invoiceModel(inv *subscription.Invoice, at time.Time) *model.SubscriptionInvoicePreview {
	cur := inv.Currency
	out := &model.SubscriptionInvoicePreview{
		SubTotal: money(inv.SubTotal, cur), SubTotalExcludingTax: money(inv.SubTotal, cur), Total: money(inv.Total, cur),
		TotalExcludingTax: money(inv.TotalExcludingTax, cur), AmountDue: money(max(inv.Total, 0), cur),
		Tax: money(inv.Tax, cur), TaxDetails: taxModel(inv.TaxDetails), Discount: money(inv.Discount, cur),
		DiscountDetails: discountModel(inv.DiscountDetails), MinimumSpendAdjustment: money(0, cur), LastUpdatedAt: at,
		Lines: make([]*model.SubscriptionInvoicePreviewLineItem, 0, len(inv.Lines)),
	}
	for _, l := range inv.Lines {
		item := &model.SubscriptionInvoicePreviewLineItem{
			Amount: money(l.Amount, cur), Description: l.Description, CostDescription: l.Description,
			Period: &model.SubscriptionInvoicePreviewLineItemPeriod{Start: l.Start, End: l.End},
			Price:  l.Price, Proration: l.Proration(), Quantity: ptr(int(l.Quantity)), Type: model.InvoiceLineItemType(l.Type),
		}
		if u := l.UnitAmount(); u != nil {
			item.UnitPrice = money(*u, cur)
		}
		out.Lines = append(out.Lines, item)
	}
	return out
}

// scheduleVariables is the ScheduleVariables member of a scheduled change.
func scheduleVariables(s *ent.SubscriptionSchedule) model.ScheduleVariables {
	c := s.Change
	switch s.ScheduleType {
	case subscriptionschedule.ScheduleTypeAddon:
		q := 0.0
		if c.AddonQuantity != nil {
			q = *c.AddonQuantity
		}
		return &model.AddonChangeVariables{AddonRefID: c.AddonRefID, NewQuantity: q}
	case subscriptionschedule.ScheduleTypeUnitAmount:
		return &model.UnitAmountChangeVariables{FeatureID: &c.FeatureRefID, NewUnitAmount: c.UnitQuantity}
	case subscriptionschedule.ScheduleTypeBillingPeriod:
		bp := model.BillingPeriod(c.BillingPeriod)
		return &model.BillingPeriodChangeVariables{BillingPeriod: &bp}
	case subscriptionschedule.ScheduleTypeCoupon:
		return &model.CouponChangeVariables{CouponID: c.CouponRefID}
	}
	// AdditionalMetaData has no variables type in Stigg's union.
	return nil
}

// scheduledUpdates are the subscription's pending scheduled updates,
// batched per request across the subscriptions of a list.
func (r *Resolver) scheduledUpdates(ctx context.Context, s *ent.CustomerSubscription) ([]*model.SubscriptionScheduledUpdate, error) {
	rows, err := load(ctx, s.ID, "scheduledUpdates", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.SubscriptionSchedule, error) {
		return subscription.ScheduledUpdates(ctx, r.Client, ids)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*model.SubscriptionScheduledUpdate, 0, len(rows))
	for _, row := range rows {
		out = append(out, &model.SubscriptionScheduledUpdate{
			CreatedAt: &row.CreatedAt, ScheduleStatus: model.SubscriptionScheduleStatus(row.Status),
			ScheduleVariables: scheduleVariables(row), ScheduledExecutionTime: row.ExecuteAt,
			SubscriptionScheduleType: model.SubscriptionScheduleType(row.ScheduleType),
		})
	}
	return out, nil
}

func (r *Resolver) futureUpdates(ctx context.Context, s *ent.CustomerSubscription) ([]*model.SubscriptionFutureUpdate, error) {
	rows, err := r.scheduledUpdates(ctx, s)
	out := make([]*model.SubscriptionFutureUpdate, len(rows))
	for i, u := range rows {
		f := model.SubscriptionFutureUpdate(*u)
		out[i] = &f
	}
	return out, err
}

// outdatedPackages are the refIds of the packages the subscription is on
// an older version of: its plan, when a newer version was published.
// Add-ons are updated in place, so they are never outdated.
func (r *Resolver) outdatedPackages(ctx context.Context, s *ent.CustomerSubscription) ([]string, error) {
	p, err := r.Catalogs.Of(ctx, s.EnvironmentID).Plan(ctx, s.PlanID)
	if err != nil || p == nil || p.IsLatest {
		return []string{}, err
	}
	return []string{p.RefID}, nil
}
