package subscription

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// importChunk bounds the rows of one INSERT or IN list, well under
// SQLite's 32 766 bound variables with every column of a subscription.
const importChunk = 500

// MaxImport is the most subscriptions one ImportBulk call takes.
const MaxImport = 50_000

// ImportBulk creates subscriptions in one transaction
// (importSubscriptionsBulk): all of them or, on the first invalid one,
// none, with provisioning's validation and error codes (the field names
// the entry: subscriptions[3].planId). Imported subscriptions start at
// their startDate (now when none) without a trial, end at their endDate,
// and replace the customer's live subscription to the product (and
// resource) as provisioning does. It reads the catalog, the customers and
// the taken ids once for the whole batch and writes in multi-row inserts,
// so 10 000 subscriptions take well under two seconds on SQLite.
func (s *Service) ImportBulk(ctx context.Context, env uuid.UUID, in []Input) (int, error) {
	if len(in) == 0 {
		return 0, apperr.BadInput("subscriptions", "at least one subscription is required")
	}
	if len(in) > MaxImport {
		return 0, apperr.BadInput("subscriptions", "at most %d subscriptions per import", MaxImport)
	}
	for i := range in {
		if err := validateInput(&in[i]); err != nil {
			return 0, atEntry(i, err)
		}
	}
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		return s.importTx(ctx, tx, env, in)
	})
	if err != nil {
		return 0, err
	}
	return len(in), nil
}

// atEntry puts the entry's index in an input error's field.
func atEntry(i int, err error) error {
	if ae, ok := err.(*apperr.Error); ok {
		cp := *ae
		field := cp.Field
		if field == "" {
			field = "subscriptionId"
		}
		cp.Field = fmt.Sprintf("subscriptions[%d].%s", i, field)
		cp.Message = fmt.Sprintf("subscriptions[%d]: %s", i, cp.Message)
		return &cp
	}
	return err
}

// chunks calls fn on consecutive slices of at most importChunk items.
func chunks[T any](items []T, fn func([]T) error) error {
	for len(items) > 0 {
		n := min(len(items), importChunk)
		if err := fn(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

type importCatalog struct {
	plans    map[string]*ent.Plan
	addons   map[string]*ent.Addon
	features map[string]*ent.Feature
}

func (s *Service) loadImportCatalog(ctx context.Context, tx *ent.Tx, env uuid.UUID, in []Input) (*importCatalog, error) {
	var planRefs, addonRefs, featureRefs []string
	for _, x := range in {
		planRefs = append(planRefs, x.PlanID)
		for _, a := range x.Addons {
			addonRefs = append(addonRefs, a.RefID)
		}
		for _, f := range x.BillableFeatures {
			featureRefs = append(featureRefs, f.FeatureRefID)
		}
	}
	slices.Sort(planRefs)
	slices.Sort(addonRefs)
	slices.Sort(featureRefs)
	cat := &importCatalog{plans: map[string]*ent.Plan{}, addons: map[string]*ent.Addon{}, features: map[string]*ent.Feature{}}
	withPrices := func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }
	err := chunks(slices.Compact(planRefs), func(refs []string) error {
		rows, err := tx.Plan.Query().Where(plan.EnvironmentID(env), plan.RefIDIn(refs...), plan.IsLatest(true)).
			WithProduct().WithCompatibleAddons().WithPrices(withPrices).All(ctx)
		for _, p := range rows {
			cat.plans[p.RefID] = p
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = chunks(slices.Compact(addonRefs), func(refs []string) error {
		rows, err := tx.Addon.Query().Where(addon.EnvironmentID(env), addon.RefIDIn(refs...), addon.StatusEQ(addon.StatusPUBLISHED)).
			WithDependencies().WithPrices(withPrices).All(ctx)
		for _, a := range rows {
			cat.addons[a.RefID] = a
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = chunks(slices.Compact(featureRefs), func(refs []string) error {
		rows, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefIDIn(refs...)).All(ctx)
		for _, f := range rows {
			cat.features[f.RefID] = f
		}
		return err
	})
	return cat, err
}

// importTx validates every entry against the batch's catalog, customers and
// taken ids, then writes them all.
func (s *Service) importTx(ctx context.Context, tx *ent.Tx, env uuid.UUID, in []Input) error {
	now := s.clock.Now()
	cat, err := s.loadImportCatalog(ctx, tx, env, in)
	if err != nil {
		return err
	}
	// Customers, locked as provisioning locks them.
	var slugs []string
	for _, x := range in {
		slugs = append(slugs, x.CustomerID)
		if x.PayingCustomerID != nil {
			slugs = append(slugs, *x.PayingCustomerID)
		}
	}
	slices.Sort(slugs)
	customers := map[string]*ent.Customer{}
	archived := map[string]bool{}
	err = chunks(slices.Compact(slugs), func(ids []string) error {
		rows, err := store.ForUpdate(tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerIDIn(ids...),
			customer.DeletedAtIsNil())).Select(customer.FieldID, customer.FieldCustomerID, customer.FieldCouponID).All(ctx)
		for _, c := range rows {
			customers[c.CustomerID] = c
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, x := range in {
		if customers[x.CustomerID] == nil {
			// Only to tell an archived customer from an unknown one.
			if archived[x.CustomerID], err = tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(x.CustomerID)).Exist(ctx); err != nil {
				return err
			}
			break
		}
	}
	// Ids given, unique within the batch and not taken.
	var refs []string
	seen := map[string]int{}
	for i, x := range in {
		if x.RefID == nil {
			continue
		}
		if j, ok := seen[*x.RefID]; ok {
			return atEntry(i, apperr.New(apperr.DuplicatedEntityNotAllowed, "subscription id %q is also given to subscriptions[%d]", *x.RefID, j))
		}
		seen[*x.RefID] = i
		refs = append(refs, *x.RefID)
	}
	err = chunks(refs, func(ids []string) error {
		taken, err := tx.CustomerSubscription.Query().Where(customersubscription.EnvironmentID(env), customersubscription.RefIDIn(ids...)).
			Select(customersubscription.FieldRefID).Strings(ctx)
		if len(taken) > 0 && err == nil {
			return atEntry(seen[taken[0]], apperr.New(apperr.DuplicatedEntityNotAllowed, "a subscription with id %q already exists", taken[0]))
		}
		return err
	})
	if err != nil {
		return err
	}

	subs := make([]*ent.CustomerSubscriptionCreate, 0, len(in))
	var overrides []*ent.SubscriptionEntitlementOverrideCreate
	var prices []*ent.SubscriptionPriceCreate
	var addons []*ent.SubscriptionAddonCreate
	type slot struct {
		customer, product uuid.UUID
		resource          string
	}
	taken := map[slot]int{}
	var replaceCustomers []uuid.UUID
	starts := map[slot]time.Time{}
	for i, x := range in {
		c := customers[x.CustomerID]
		if c == nil {
			code := apperr.CustomerNotFound
			if archived[x.CustomerID] {
				code = apperr.CustomerIsArchived
			}
			return atEntry(i, &apperr.Error{Code: code, Field: "customerId", Message: "customer " + x.CustomerID + " was not found or is archived"})
		}
		var payer *uuid.UUID
		if x.PayingCustomerID != nil {
			pc := customers[*x.PayingCustomerID]
			if pc == nil {
				return atEntry(i, &apperr.Error{Code: apperr.CustomerNotFound, Field: "payingCustomerId", Message: "customer " + *x.PayingCustomerID + " was not found"})
			}
			payer = &pc.ID
		}
		p := cat.plans[x.PlanID]
		if p == nil || p.Status != plan.StatusPUBLISHED {
			return atEntry(i, &apperr.Error{Code: apperr.PlanNotFound, Field: "planId", Message: "plan " + x.PlanID + " was not found"})
		}
		chosen, err := checkAddons(p, x.Addons, cat.addons)
		if err != nil {
			return atEntry(i, err)
		}
		period, err := choosePeriod(p, x.BillingPeriod)
		if err != nil {
			return atEntry(i, err)
		}
		pr := periodPrices(p.Edges.Prices, period, x.BillingCountryCode)
		qty, err := quantitiesOf(pr, x.BillableFeatures, x.UnitQuantity, nil, cat.features)
		if err != nil {
			return atEntry(i, err)
		}
		start := now
		if x.StartDate != nil {
			start = *x.StartDate
		}
		if !p.Edges.Product.MultipleSubscriptions {
			k := slot{c.ID, p.ProductID, ""}
			if x.ResourceID != nil {
				k.resource = *x.ResourceID
			}
			if j, ok := taken[k]; ok {
				return atEntry(i, apperr.New(apperr.DuplicatedEntityNotAllowed,
					"customer %s gets two subscriptions to one product (also subscriptions[%d])", x.CustomerID, j))
			}
			taken[k] = i
			starts[k] = start
			replaceCustomers = append(replaceCustomers, c.ID)
		}
		ref := newRefID(p.RefID)
		if x.RefID != nil {
			ref = *x.RefID
		}
		row := &ent.CustomerSubscription{StartDate: start, EffectiveEndDate: x.EndDate, BillingPeriod: period, Status: Active}
		ps, pe := firstPeriod(row)
		id := uuid.New()
		subs = append(subs, tx.CustomerSubscription.Create().SetID(id).SetEnvironmentID(env).SetRefID(ref).SetCustomerID(c.ID).
			SetNillablePayingCustomerID(payer).SetPlanID(p.ID).SetNillableCouponID(c.CouponID).SetNillableResourceID(x.ResourceID).
			SetStatus(EffectiveStatus(row, now)).SetPricingType(customersubscription.PricingType(p.PricingType)).SetNillableBillingPeriod(period).
			SetStartDate(start).SetNillableEndDate(x.EndDate).SetNillableEffectiveEndDate(x.EndDate).
			SetCurrentBillingPeriodStart(ps).SetCurrentBillingPeriodEnd(pe).
			SetNillableBillingID(x.BillingID).SetNillableSalesforceID(x.SalesforceID).SetNillableCrmID(x.CrmID).
			SetAdditionalMetaData(x.Metadata).SetCreatedAt(now).SetUpdatedAt(now))
		for _, price := range pr {
			c := tx.SubscriptionPrice.Create().SetEnvironmentID(env).SetSubscriptionID(id).SetPriceID(price.ID).SetCreatedAt(now).SetUpdatedAt(now)
			if q, ok := qty[price.ID]; ok {
				c.SetUsageLimit(q)
			}
			prices = append(prices, c)
		}
		more, err := importOverrides(ctx, tx, env, id, x.Entitlements, now)
		if err != nil {
			return atEntry(i, err)
		}
		overrides = append(overrides, more...)
		for j, a := range chosen {
			addons = append(addons, tx.SubscriptionAddon.Create().SetEnvironmentID(env).SetSubscriptionID(id).SetAddonID(a.ID).
				SetQuantity(x.Addons[j].Quantity).SetCreatedAt(now).SetUpdatedAt(now))
		}
	}

	// Replace the customers' live subscriptions to the imported products.
	slices.SortFunc(replaceCustomers, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	err = chunks(slices.Compact(replaceCustomers), func(ids []uuid.UUID) error {
		live, err := tx.CustomerSubscription.Query().Where(customersubscription.CustomerIDIn(ids...),
			customersubscription.StatusIn(liveStatuses...),
			customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(now))).
			WithPlan(func(q *ent.PlanQuery) { q.Select(plan.FieldID, plan.FieldProductID) }).All(ctx)
		if err != nil {
			return err
		}
		for _, old := range live {
			k := slot{old.CustomerID, old.Edges.Plan.ProductID, ""}
			if old.ResourceID != nil {
				k.resource = *old.ResourceID
			}
			start, ok := starts[k]
			if !ok {
				continue
			}
			at := start
			if at.Before(now) {
				at = now
			}
			if _, err := cancelAt(ctx, tx, old, now, at, ReasonUpgradeOrDowngrade); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	var created []*ent.CustomerSubscription
	if err := chunks(subs, func(b []*ent.CustomerSubscriptionCreate) error {
		rows, err := tx.CustomerSubscription.CreateBulk(b...).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.New(apperr.DuplicatedEntityNotAllowed, "a subscription id of the import is taken")
		}
		created = append(created, rows...)
		return err
	}); err != nil {
		return err
	}
	if err := chunks(prices, func(b []*ent.SubscriptionPriceCreate) error { return tx.SubscriptionPrice.CreateBulk(b...).Exec(ctx) }); err != nil {
		return err
	}
	if err := chunks(addons, func(b []*ent.SubscriptionAddonCreate) error { return tx.SubscriptionAddon.CreateBulk(b...).Exec(ctx) }); err != nil {
		return err
	}
	if err := chunks(overrides, func(b []*ent.SubscriptionEntitlementOverrideCreate) error {
		return tx.SubscriptionEntitlementOverride.CreateBulk(b...).Exec(ctx)
	}); err != nil {
		return err
	}
	for _, sub := range created {
		if err := billing.EnqueueSubscription(ctx, tx, sub); err != nil {
			return err
		}
	}
	return nil
}
