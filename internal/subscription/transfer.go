package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Transfers move a live subscription, with its prices, add-ons and
// scheduled updates, to another resource of its customer or to another
// customer: entitlements follow the subscription's customer and resource,
// so they move with it at once.

// TransferToResource moves a subscription to another resource of its
// customer (transferSubscriptionToResource); nil or "" moves it off any
// resource. The destination must not already hold a live subscription to
// the same product (unless the product allows several).
func (s *Service) TransferToResource(ctx context.Context, env uuid.UUID, refID string, dest *string) (*ent.CustomerSubscription, error) {
	if dest != nil && *dest == "" {
		dest = nil
	}
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, refID)
		if err != nil {
			return err
		}
		out, err = s.moveTx(ctx, tx, sub, sub.CustomerID, sub.PayingCustomerID, dest, "destinationResourceId")
		return err
	})
	return out, err
}

// TransferBetweenResources moves the customer's live subscription on one
// resource to another (transferSubscription); CustomerResourceNotFound
// when the source resource holds none.
func (s *Service) TransferBetweenResources(ctx context.Context, env uuid.UUID, customerID, source, dest string) (*ent.CustomerSubscription, error) {
	if source == "" || dest == "" {
		return nil, apperr.BadInput("sourceResourceId", "sourceResourceId and destinationResourceId are required")
	}
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveCustomer(ctx, tx, env, customerID, "customerId", true)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		sub, err := store.ForUpdate(tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
			customersubscription.ResourceID(source), customersubscription.StatusIn(liveStatuses...),
			customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(now)))).
			Order(ent.Desc(customersubscription.FieldCreatedAt), ent.Desc(customersubscription.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			return &apperr.Error{Code: apperr.CustomerResourceNotFound, Field: "sourceResourceId",
				Message: "customer " + customerID + " has no live subscription on resource " + source}
		}
		if err != nil {
			return err
		}
		out, err = s.moveTx(ctx, tx, sub, sub.CustomerID, sub.PayingCustomerID, &dest, "destinationResourceId")
		return err
	})
	return out, err
}

// Delegate gives a subscription to another customer of the environment
// (delegateSubscriptionToCustomer): the delegate gets its entitlements,
// the customer who paid keeps paying (it becomes the paying customer when
// the subscription had none).
func (s *Service) Delegate(ctx context.Context, env uuid.UUID, refID, destCustomerID string) (*ent.CustomerSubscription, error) {
	if destCustomerID == "" {
		return nil, apperr.BadInput("destinationCustomerId", "destinationCustomerId is required")
	}
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Customers first (both, in id order), then the subscription: the
		// lock order of every subscription write.
		sub, err := get(ctx, tx.CustomerSubscription.Query(), env, refID)
		if err != nil {
			return err
		}
		dest, err := liveCustomer(ctx, tx, env, destCustomerID, "destinationCustomerId", false)
		if err != nil {
			return err
		}
		ids := []uuid.UUID{sub.CustomerID, dest.ID}
		if ids[1].String() < ids[0].String() {
			ids[0], ids[1] = ids[1], ids[0]
		}
		for _, id := range ids {
			if _, err := store.ForUpdate(tx.Customer.Query().Where(customer.ID(id))).IDs(ctx); err != nil {
				return err
			}
		}
		if sub, err = get(ctx, store.ForUpdate(tx.CustomerSubscription.Query()), env, refID); err != nil {
			return err
		}
		payer := sub.PayingCustomerID
		if payer == nil {
			payer = &sub.CustomerID
		}
		if sub.CustomerID == dest.ID {
			out = sub
			return nil
		}
		out, err = s.moveTx(ctx, tx, sub, dest.ID, payer, sub.ResourceID, "destinationCustomerId")
		return err
	})
	return out, err
}

// moveTx gives sub (locked) to customer and resource, after checking it is
// live and that the destination has no live subscription to the product.
func (s *Service) moveTx(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, owner uuid.UUID, payer *uuid.UUID, resource *string, field string) (*ent.CustomerSubscription, error) {
	now := s.clock.Now()
	if err := refuseEnded(sub, now, "subscription %s is %s and cannot be transferred"); err != nil {
		return nil, err
	}
	if sub.CustomerID == owner && eqResource(sub.ResourceID, resource) {
		return sub, nil
	}
	if err := s.checkFree(ctx, tx, sub, owner, resource, now, field); err != nil {
		return nil, err
	}
	u := tx.CustomerSubscription.UpdateOne(sub).SetCustomerID(owner).SetNillablePayingCustomerID(payer).SetUpdatedAt(now)
	if resource != nil {
		u.SetResourceID(*resource)
	} else {
		u.ClearResourceID()
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}

func eqResource(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// checkFree refuses a destination (customer and resource) that already has
// a live subscription to sub's product, unless the product allows several.
func (s *Service) checkFree(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, owner uuid.UUID, resource *string, now time.Time, field string) error {
	p, err := tx.Plan.Query().Where(plan.ID(sub.PlanID)).WithProduct().Only(ctx)
	if err != nil {
		return err
	}
	if p.Edges.Product.MultipleSubscriptions {
		return nil
	}
	q := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(owner), customersubscription.IDNEQ(sub.ID),
		customersubscription.HasPlanWith(plan.ProductID(p.ProductID)), customersubscription.StatusIn(liveStatuses...),
		customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(now)))
	if resource != nil {
		q.Where(customersubscription.ResourceID(*resource))
	} else {
		q.Where(customersubscription.ResourceIDIsNil())
	}
	taken, err := q.Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return &apperr.Error{Code: apperr.DuplicatedEntityNotAllowed, Field: field,
			Message: "the destination already has a live subscription to this product"}
	}
	return nil
}
