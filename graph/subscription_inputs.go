// Input mapping of the subscription operations: each function turns one
// GraphQL input (graph/model) into the domain value internal/subscription
// takes, so the resolvers in subscriptions.resolvers.go only validate, call
// one domain function and shape the answer.

package graph

import (
	"time"

	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

func addonItems(in []*model.SubscriptionAddonInput) []subscription.AddonQuantity {
	out := make([]subscription.AddonQuantity, 0, len(in))
	for _, a := range in {
		q := 1.0
		if a.Quantity != nil {
			q = float64(*a.Quantity)
		}
		out = append(out, subscription.AddonQuantity{RefID: a.AddonID, Quantity: q})
	}
	return out
}

func featureItems(in []*model.BillableFeatureInput) []subscription.FeatureQuantity {
	if in == nil {
		return nil
	}
	out := make([]subscription.FeatureQuantity, 0, len(in))
	for _, f := range in {
		out = append(out, subscription.FeatureQuantity{FeatureRefID: f.FeatureID, Quantity: f.Quantity})
	}
	return out
}

func couponRef(c *model.SubscriptionCouponInput) *string {
	if c == nil {
		return nil
	}
	return c.CouponID
}

func trialOverride(t *model.TrialOverrideConfigurationInput) *subscription.TrialOverride {
	if t == nil {
		return nil
	}
	return &subscription.TrialOverride{IsTrial: t.IsTrial, EndDate: t.TrialEndDate, EndBehavior: (*string)(t.TrialEndBehavior)}
}

func firstOf(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

// provisionInput maps provisionSubscription's input.
func provisionInput(in *model.ProvisionSubscriptionInput) (subscription.Input, error) {
	out := subscription.Input{CustomerID: in.CustomerID, PayingCustomerID: in.PayingCustomerID, PlanID: in.PlanID,
		RefID: firstOf(in.SubscriptionID, in.RefID), ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod),
		BillingCountryCode: in.BillingCountryCode, StartDate: in.StartDate, SkipTrial: in.SkipTrial != nil && *in.SkipTrial,
		Trial: trialOverride(in.TrialOverrideConfiguration), Addons: addonItems(in.Addons),
		BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon), Metadata: in.AdditionalMetaData, BillingID: in.BillingID,
		SalesforceID: in.SalesforceID}
	err := newInputFields(&out, in.Charges, in.SubscriptionEntitlements, in.Entitlements, in.PriceOverrides, in.CancellationDate, in.BillingCycleAnchor)
	return out, err
}

// createSubscriptionInput maps createSubscription's input: isTrial and
// trialEndBehavior decide the trial instead of the plan's default.
func createSubscriptionInput(in *model.SubscriptionInput) (subscription.Input, error) {
	out := subscription.Input{CustomerID: in.CustomerID, PayingCustomerID: in.PayingCustomerID, PlanID: in.PlanID,
		RefID: firstOf(in.SubscriptionID, in.RefID), ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod),
		BillingCountryCode: in.BillingCountryCode, StartDate: in.StartDate, EndDate: in.EndDate,
		Addons: addonItems(in.Addons), BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon), Metadata: in.AdditionalMetaData, BillingID: in.BillingID,
		SalesforceID: in.SalesforceID, CrmID: in.CrmID}
	if in.IsTrial != nil {
		out.Trial = &subscription.TrialOverride{IsTrial: *in.IsTrial, EndBehavior: (*string)(in.TrialEndBehavior)}
	}
	err := newInputFields(&out, in.Charges, in.SubscriptionEntitlements, in.Entitlements, in.PriceOverrides, in.CancellationDate, in.BillingCycleAnchor)
	return out, err
}

// customerSubscriptionInput maps provisionCustomer's subscriptionParams.
func customerSubscriptionInput(customerID string, in *model.ProvisionCustomerSubscriptionInput) (subscription.Input, error) {
	out := subscription.Input{CustomerID: customerID, PlanID: in.PlanID, RefID: firstOf(in.SubscriptionID, in.RefID),
		ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod), BillingCountryCode: in.BillingCountryCode,
		StartDate: in.StartDate, Trial: trialOverride(in.TrialOverrideConfiguration), Addons: addonItems(in.Addons),
		BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon), Metadata: in.AdditionalMetaData, BillingID: in.BillingID,
		SalesforceID: in.SalesforceID}
	err := newInputFields(&out, nil, in.SubscriptionEntitlements, nil, in.PriceOverrides, nil, nil)
	return out, err
}

// updatePatchOf maps updateOneSubscription's input.
func subscriptionPatch(in *model.UpdateSubscriptionInput) (subscription.Patch, error) {
	p := subscription.Patch{BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		BillingPeriod: (*string)(in.BillingPeriod), Metadata: in.AdditionalMetaData, TrialEndDate: in.TrialEndDate,
		CouponRefID: couponRef(in.AppliedCoupon), Schedule: (*string)(in.ScheduleStrategy), CancellationDate: in.CancellationDate,
		AnchorNow: in.BillingCycleAnchor != nil && *in.BillingCycleAnchor == model.SubscriptionBillingCycleAnchorNow}
	if in.Addons != nil {
		items := addonItems(in.Addons)
		p.Addons = &items
	}
	more, err := chargeQuantities(in.Charges)
	if err != nil {
		return p, err
	}
	p.BillableFeatures = append(p.BillableFeatures, more...)
	if p.Entitlements, err = updateEntitlementOverrides(in.SubscriptionEntitlements, in.Entitlements); err != nil {
		return p, err
	}
	if in.PriceOverrides != nil {
		ovr, err := priceOverrides(in.PriceOverrides)
		if err != nil {
			return p, err
		}
		if ovr == nil {
			ovr = []subscription.PriceOverride{}
		}
		p.PriceOverrides = &ovr
	}
	return p, nil
}

// noPromotionCode refuses a promotion code (or a billing provider's
// coupon id): this server has neither, so none can be found.
func noPromotionCode(code *string, c *model.SubscriptionCouponInput) error {
	if c != nil && c.PromotionCode != nil {
		code = c.PromotionCode
	}
	if code != nil {
		return &apperr.Error{Code: apperr.PromotionCodeNotFound, Field: "promotionCode", Message: "promotion code " + *code + " was not found"}
	}
	if c != nil && c.BillingCouponID != nil {
		return &apperr.Error{Code: apperr.CouponNotFound, Field: "appliedCoupon.billingCouponId",
			Message: "billing coupon " + *c.BillingCouponID + " was not found: there is no billing integration coupon here"}
	}
	return nil
}

// inlineDiscount is appliedCoupon.discount as a domain discount.
func inlineDiscount(c *model.SubscriptionCouponInput) *subscription.InlineDiscount {
	if c == nil || c.Discount == nil {
		return nil
	}
	d := &subscription.InlineDiscount{PercentOff: c.Discount.PercentOff}
	if c.Discount.Name != nil {
		d.Name = *c.Discount.Name
	}
	if c.Discount.DurationInMonths != nil {
		m := int(*c.Discount.DurationInMonths)
		d.DurationInMonths = &m
	}
	for _, m := range c.Discount.AmountsOff {
		cur := "USD"
		if m.Currency != nil {
			cur = string(*m.Currency)
		}
		d.AmountsOff = append(d.AmountsOff, schema.Money{Amount: m.Amount, Currency: cur})
	}
	return d
}

// applyInput maps applySubscription's input.
func applyInput(in *model.ApplySubscriptionInput) subscription.Input {
	return subscription.Input{CustomerID: in.CustomerID, PayingCustomerID: in.PayingCustomerID, PlanID: in.PlanID,
		ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod), BillingCountryCode: in.BillingCountryCode,
		StartDate: in.StartDate, SkipTrial: isTrue(in.SkipTrial),
		Trial: trialOverride(in.TrialOverrideConfiguration), Addons: addonItems(in.Addons),
		BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: firstOf(couponRef(in.AppliedCoupon), in.PromotionCode), Metadata: in.AdditionalMetaData,
		BillingID: in.BillingID, SalesforceID: in.SalesforceID}
}

// importInputs maps importSubscriptionsBulk's entries.
func importInputs(in []*model.ImportSubscriptionInput) ([]subscription.Input, error) {
	out := make([]subscription.Input, len(in))
	for i, x := range in {
		out[i] = subscription.Input{CustomerID: x.CustomerID, PlanID: x.PlanID, RefID: x.SubscriptionID, ResourceID: x.ResourceID,
			BillingPeriod: (*string)(x.BillingPeriod), StartDate: x.StartDate, EndDate: x.EndDate, Addons: addonItems(x.Addons),
			BillableFeatures: featureItems(x.BillableFeatures), UnitQuantity: x.UnitQuantity, Metadata: x.AdditionalMetaData,
			BillingID: x.BillingID, SalesforceID: x.SalesforceID}
		var err error
		if out[i].Entitlements, err = entitlementOverrides(x.SubscriptionEntitlements, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// estimateInput maps estimateSubscription's input.
func estimateInput(in *model.EstimateSubscriptionInput) subscription.Input {
	return subscription.Input{CustomerID: in.CustomerID, PayingCustomerID: in.PayingCustomerID, PlanID: in.PlanID,
		ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod), BillingCountryCode: in.BillingCountryCode,
		StartDate: in.StartDate, SkipTrial: in.SkipTrial != nil && *in.SkipTrial, Trial: trialOverride(in.TrialOverrideConfiguration),
		Addons: addonItems(in.Addons), BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon)}
}

// previewInput maps previewSubscription's input.
func previewInput(in *model.PreviewSubscriptionInput) subscription.Input {
	return subscription.Input{CustomerID: in.CustomerID, PayingCustomerID: in.PayingCustomerID, PlanID: in.PlanID,
		ResourceID: in.ResourceID, BillingPeriod: (*string)(in.BillingPeriod), BillingCountryCode: in.BillingCountryCode,
		StartDate: in.StartDate, Trial: trialOverride(in.TrialOverrideConfiguration),
		Addons: addonItems(in.Addons), BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon)}
}

// estimateUpdatePatch maps estimateSubscriptionUpdate's input.
func estimateUpdatePatch(in *model.EstimateSubscriptionUpdateInput) subscription.Patch {
	p := subscription.Patch{BillableFeatures: featureItems(in.BillableFeatures), UnitQuantity: in.UnitQuantity,
		CouponRefID: couponRef(in.AppliedCoupon)}
	if in.Addons != nil {
		items := addonItems(in.Addons)
		p.Addons = &items
	}
	return p
}

// updateRef is the subscription updateOneSubscription changes: its
// subscriptionId, else its refId.
func updateRef(in *model.UpdateSubscriptionInput) (string, error) {
	ref := firstOf(in.SubscriptionID, in.RefID)
	if ref == nil {
		return "", apperr.BadInput("subscriptionId", "subscriptionId is required")
	}
	return *ref, nil
}

// cancelInput maps cancelSubscription's input.
func cancelInput(in *model.SubscriptionCancellationInput) subscription.CancelInput {
	out := subscription.CancelInput{RefID: in.SubscriptionRefID, EndDate: in.EndDate}
	if in.SubscriptionCancellationTime != nil {
		out.Time = string(*in.SubscriptionCancellationTime)
	}
	return out
}

// delegateDestination is the customer delegateSubscriptionToCustomer hands
// the subscription to.
func delegateDestination(in *model.DelegateSubscriptionToCustomerInput) (string, error) {
	if in.DestinationCustomerID == nil {
		return "", apperr.BadInput("destinationCustomerId", "destinationCustomerId is required")
	}
	return *in.DestinationCustomerID, nil
}

// activeResourceIDs are the resources getActiveSubscriptions asks about:
// resourceIds and resourceId together.
func activeResourceIDs(in *model.GetActiveSubscriptionsInput) []string {
	ids := in.ResourceIds
	if in.ResourceID != nil {
		ids = append(ids, *in.ResourceID)
	}
	return ids
}

// entitlementOverrides maps a subscription's own entitlements, given as
// subscriptionEntitlements (3.x) and entitlements (4.x; feature entitlements
// only, credits are not supported here).
func entitlementOverrides(v3 []*model.SubscriptionEntitlementInput, v4 []*model.SubscriptionEntitlementInputV2) ([]subscription.EntitlementOverride, error) {
	var out []subscription.EntitlementOverride
	for _, e := range v3 {
		out = append(out, subscription.EntitlementOverride{FeatureRefID: e.FeatureID, UsageLimit: e.UsageLimit,
			Unlimited: isTrue(e.HasUnlimitedUsage), SoftLimit: isTrue(e.HasSoftLimit), ResetPeriod: (*string)(e.ResetPeriod),
			Description: e.Description})
	}
	for _, e := range v4 {
		if e.Feature == nil {
			return nil, apperr.BadInput("entitlements", "each entitlement needs its feature (credit entitlements are not supported)")
		}
		f := e.Feature
		out = append(out, subscription.EntitlementOverride{FeatureRefID: f.FeatureID, UsageLimit: f.UsageLimit,
			Unlimited: isTrue(f.HasUnlimitedUsage), SoftLimit: isTrue(f.HasSoftLimit), ResetPeriod: (*string)(f.ResetPeriod),
			EnumValues: f.EnumValues})
	}
	return out, nil
}

// updateEntitlementOverrides is entitlementOverrides for
// updateOneSubscription: nil when neither list is given (the current ones
// stay), else the list that replaces them.
func updateEntitlementOverrides(v3 []*model.UpdateSubscriptionEntitlementInput, v4 []*model.SubscriptionEntitlementInputV2) (*[]subscription.EntitlementOverride, error) {
	if v3 == nil && v4 == nil {
		return nil, nil
	}
	in := make([]*model.SubscriptionEntitlementInput, len(v3))
	for i, e := range v3 {
		if e.FeatureID == nil {
			return nil, apperr.BadInput("subscriptionEntitlements.featureId", "each subscription entitlement needs its featureId")
		}
		in[i] = &model.SubscriptionEntitlementInput{FeatureID: *e.FeatureID, UsageLimit: e.UsageLimit,
			HasUnlimitedUsage: e.HasUnlimitedUsage, HasSoftLimit: e.HasSoftLimit, ResetPeriod: e.ResetPeriod}
	}
	out, err := entitlementOverrides(in, v4)
	if out == nil {
		out = []subscription.EntitlementOverride{}
	}
	return &out, err
}

// priceOverrides maps priceOverrides (credit rates are not supported here).
func priceOverrides(in []*model.PriceOverrideInput) ([]subscription.PriceOverride, error) {
	var out []subscription.PriceOverride
	for _, p := range in {
		if p.CreditRate != nil {
			return nil, apperr.BadInput("priceOverrides.creditRate", "credit rates are not supported")
		}
		o := subscription.PriceOverride{BaseCharge: isTrue(p.BaseCharge), FeatureRefID: p.FeatureID, AddonRefID: p.AddonID, BlockSize: p.BlockSize}
		if p.Price != nil {
			o.Amount = &p.Price.Amount
		}
		for _, t := range p.Tiers {
			tier := schema.PriceTier{UpTo: t.UpTo}
			if t.UnitPrice != nil {
				tier.UnitPrice = &t.UnitPrice.Amount
			}
			if t.FlatPrice != nil {
				tier.FlatPrice = &t.FlatPrice.Amount
			}
			o.Tiers = append(o.Tiers, tier)
		}
		out = append(out, o)
	}
	return out, nil
}

// chargeQuantities maps the 4.x charges input: the quantity of a feature's
// per-unit price, as billableFeatures gives it (credit charges are not
// supported here).
func chargeQuantities(in []*model.ChargeInput) ([]subscription.FeatureQuantity, error) {
	var out []subscription.FeatureQuantity
	for _, c := range in {
		if c.Type != model.ChargeTypeFeature {
			return nil, apperr.BadInput("charges.type", "charge %s: only FEATURE charges are supported (credits are not)", c.ID)
		}
		out = append(out, subscription.FeatureQuantity{FeatureRefID: c.ID, Quantity: c.Quantity})
	}
	return out, nil
}

// newInputFields maps the fields provisionSubscription and
// createSubscription share beyond the 3.x basics: charges, the
// subscription's own entitlements and prices, cancellationDate and
// billingCycleAnchor.
func newInputFields(out *subscription.Input, charges []*model.ChargeInput, v3 []*model.SubscriptionEntitlementInput,
	v4 []*model.SubscriptionEntitlementInputV2, prices []*model.PriceOverrideInput, cancel *time.Time, anchor *model.SubscriptionBillingCycleAnchor) error {
	more, err := chargeQuantities(charges)
	if err != nil {
		return err
	}
	out.BillableFeatures = append(out.BillableFeatures, more...)
	if out.Entitlements, err = entitlementOverrides(v3, v4); err != nil {
		return err
	}
	if out.PriceOverrides, err = priceOverrides(prices); err != nil {
		return err
	}
	out.CancellationDate = cancel
	out.AnchorNow = anchor != nil && *anchor == model.SubscriptionBillingCycleAnchorNow
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }
