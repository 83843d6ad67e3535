'use strict';
// Stigg's official JavaScript client (@stigg/api-client-js, unmodified)
// against a running stiggql with the embedded demo catalog (docs/catalog.md).
//
// 1. Every operation document the client ships (credits and payment
//    sessions aside) must validate against the server's own schema
//    (GET /schema.graphql).
// 2. Then each one runs through the client's own API in one realistic
//    scenario whose results are asserted.
//
// Run with `bash compat/run.sh`, or against a server you started:
//   STIGGQL_URL=http://127.0.0.1:8080 STIGG_API_KEY=server-... node --test compat/test/

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { buildSchema, validate } = require('graphql');
const { baseUrl, OPERATIONS, documentOf, allDocuments, call, CallError } = require('../lib/client');

const DAY = 24 * 60 * 60 * 1000;
// Unique per run, so the suite also runs against a server that is not fresh.
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ids = {
  acme: `compat-acme-${run}`,
  imported: `compat-imported-${run}`,
  bulk: [1, 2, 3].map((i) => `compat-bulk-${i}-${run}`),
};
const STEP = { timeout: 20_000 };

const byRef = (list, refId) => list.find((x) => x && x.refId === refId);
const entitlementOf = (list, featureRefId) => list.find((e) => e.feature && e.feature.refId === featureRefId);
const days = (from, to) => (Date.parse(to) - Date.parse(from)) / DAY;
const sorted = (xs) => [...xs].sort();

// Expects the call to fail with a GraphQL error carrying this code.
async function rejectsWith(name, variables, code) {
  await assert.rejects(call(name, variables), (err) => {
    assert.ok(err instanceof CallError, String(err));
    assert.ok(err.codes.includes(code), `expected error code ${code}, got:\n${err.message}`);
    return true;
  });
}

test('the client ships every customer operation', () => {
  const missing = OPERATIONS.filter(({ name }) => {
    const doc = documentOf(name);
    const op = doc && doc.definitions.find((d) => d.kind === 'OperationDefinition');
    return !op || !op.name || op.name.value !== name;
  });
  assert.deepEqual(missing.map((o) => o.name), [], 'operations missing from @stigg/api-client-js');
});

test('every operation document in scope validates against the live schema', { timeout: 30_000 }, async (t) => {
  const res = await fetch(`${baseUrl}/schema.graphql`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `GET ${baseUrl}/schema.graphql`);
  const schema = buildSchema(await res.text());

  const invalid = [];
  for (const { name } of OPERATIONS) {
    const errors = validate(schema, documentOf(name));
    if (errors.length) invalid.push(`${name}Document:\n  ${errors.map((e) => e.message).join('\n  ')}`);
  }
  assert.equal(invalid.length, 0, `client documents invalid against /schema.graphql:\n${invalid.join('\n')}`);

  // The client's other documents (entitlement checks, usage, paywall,
  // SDK configuration, subscription estimates...) must validate too: the
  // schema mirrors what the SDKs send (testdata/reference/stigg-sdk.graphql),
  // credits, auto-recharge and payment sessions aside.
  const outOfScope = /Credit|AutoRecharge|PaymentSession/;
  const covered = new Set(OPERATIONS.map((o) => o.name));
  const others = Object.entries(allDocuments()).filter(([name]) => !covered.has(name));
  const invalidOthers = [];
  const skipped = [];
  for (const [name, doc] of others) {
    const errors = validate(schema, doc);
    if (!errors.length) continue;
    if (outOfScope.test(name)) skipped.push(name);
    else invalidOthers.push(`${name}Document:\n  ${errors.map((e) => e.message).join('\n  ')}`);
  }
  assert.equal(invalidOthers.length, 0, `client documents invalid against /schema.graphql:\n${invalidOthers.join('\n')}`);
  t.diagnostic(`${OPERATIONS.length} customer documents and ${others.length - skipped.length} other client documents valid; ` +
    `${skipped.length} out of scope (credits, payment sessions): ${skipped.join(', ')}`);
});

test('a customer lifecycle through the client', { timeout: 180_000 }, async (t) => {
  const state = {};
  const step = (name, needs, fn) =>
    t.test(name, STEP, async (s) => {
      const missing = needs.filter((k) => state[k] === undefined);
      if (missing.length) return s.skip(`needs ${missing.join(', ')} from an earlier step`);
      return fn(s);
    });

  await step('GetProducts lists the demo products', [], async () => {
    const { products } = await call('GetProducts');
    const nodes = products.edges.map((e) => e.node);
    const revvenu = byRef(nodes, 'product-revvenu');
    const insights = byRef(nodes, 'product-insights');
    assert.ok(revvenu && insights, `demo products missing: ${JSON.stringify(nodes.map((n) => n.refId))}`);
    assert.equal(revvenu.displayName, 'Revvenu');
    assert.equal(revvenu.productSettings.downgradePlan.refId, 'plan-revvenu-free');
    assert.equal(insights.productSettings.downgradePlan.refId, 'plan-insights-starter');
  });

  await step('GetCoupons lists the active demo coupons', [], async () => {
    const { coupons } = await call('GetCoupons');
    const nodes = coupons.edges.map((e) => e.node);
    const welcome = byRef(nodes, 'coupon-welcome-20');
    const tenOff = byRef(nodes, 'coupon-10-off');
    assert.ok(welcome && tenOff, `demo coupons missing: ${JSON.stringify(nodes.map((n) => n.refId))}`);
    assert.ok(nodes.every((n) => n.status === 'ACTIVE'), 'GetCoupons filters status ACTIVE');
    assert.equal(welcome.type, 'PERCENTAGE');
    assert.equal(welcome.percentOff, 20);
    assert.equal(welcome.name, 'Welcome 20%');
    assert.equal(tenOff.type, 'FIXED');
    assert.deepEqual(
      sorted(tenOff.amountsOff.map((a) => `${a.amount} ${a.currency}`)),
      ['10 USD', '9 EUR'],
    );
  });

  await step('ProvisionCustomer with a trial of a paid plan', [], async () => {
    const { provisionCustomer: out } = await call('ProvisionCustomer', {
      input: {
        customerId: ids.acme,
        name: 'Acme Inc',
        email: 'billing@acme.example',
        additionalMetaData: { source: 'compat' },
        subscriptionParams: { planId: 'plan-revvenu-basic', billingPeriod: 'MONTHLY' },
      },
    });
    assert.equal(out.customer.customerId, ids.acme);
    assert.equal(out.customer.refId, ids.acme);
    assert.equal(out.customer.name, 'Acme Inc');
    assert.equal(out.customer.email, 'billing@acme.example');
    assert.deepEqual(out.customer.additionalMetaData, { source: 'compat' });
    assert.equal(out.subscriptionDecisionStrategy, 'REQUESTED_PLAN');

    const sub = out.subscription;
    assert.equal(sub.plan.refId, 'plan-revvenu-basic');
    assert.equal(sub.status, 'IN_TRIAL');
    assert.equal(sub.pricingType, 'PAID');
    assert.equal(sub.customer.refId, ids.acme);
    assert.deepEqual(
      sub.prices.map((p) => [p.price.billingModel, p.price.billingPeriod, p.price.price.amount, p.price.price.currency]),
      [['FLAT_FEE', 'MONTHLY', 29, 'USD']],
    );
    assert.equal(sub.totalPrice.total.amount, 29);

    const seats = entitlementOf(out.entitlements, 'feature-seats');
    assert.ok(seats, 'entitlement to feature-seats');
    assert.equal(seats.usageLimit, 5);
    assert.equal(seats.isGranted, true);
    assert.ok(entitlementOf(out.entitlements, 'feature-custom-domain'), 'entitlement to feature-custom-domain');
    assert.deepEqual(sorted(entitlementOf(out.entitlements, 'feature-support-level').enumValues), ['chat', 'email']);
    assert.equal(entitlementOf(out.entitlements, 'feature-sso'), undefined, 'Basic has no SSO');
    state.acmeBasic = sub.subscriptionId;
  });

  await step('GetCustomerById reads it back with its plan and entitlements', ['acmeBasic'], async () => {
    const { getCustomerByRefId: c } = await call('GetCustomerById', { input: { customerId: ids.acme } });
    assert.equal(c.customerId, ids.acme);
    assert.equal(c.name, 'Acme Inc');
    assert.equal(c.hasActiveSubscription, true);
    assert.equal(c.hasPaymentMethod, false);
    assert.deepEqual(c.trialedPlans.map((p) => p.planRefId), ['plan-revvenu-basic']);
    assert.equal(c.eligibleForTrial.find((e) => e.productRefId === 'product-revvenu').eligible, false);
    assert.equal(c.eligibleForTrial.find((e) => e.productRefId === 'product-insights').eligible, true);

    assert.equal(c.subscriptions.length, 1);
    const sub = c.subscriptions[0];
    assert.equal(sub.subscriptionId, state.acmeBasic);
    assert.equal(sub.status, 'IN_TRIAL');
    assert.equal(Math.round(days(sub.startDate, sub.trialEndDate)), 14, '14-day trial');
    assert.equal(sub.plan.refId, 'plan-revvenu-basic');
    assert.equal(sub.plan.displayName, 'Basic');
    assert.equal(sub.plan.product.refId, 'product-revvenu');
    assert.equal(sub.plan.defaultTrialConfig.duration, 14);
    assert.equal(sub.plan.defaultTrialConfig.trialEndBehavior, 'CONVERT_TO_PAID');
    assert.deepEqual(
      sorted(sub.plan.entitlements.map((e) => e.feature.refId)),
      ['feature-api-calls', 'feature-custom-domain', 'feature-seats', 'feature-support-level'],
    );
    assert.equal(entitlementOf(sub.plan.entitlements, 'feature-api-calls').usageLimit, 10000);
    assert.equal(entitlementOf(sub.plan.entitlements, 'feature-api-calls').resetPeriod, 'MONTH');
    assert.deepEqual(sub.plan.compatibleAddons.map((a) => a.refId), ['addon-extra-seats']);
  });

  await step('GetCustomerStatistics counts the paid subscription', ['acmeBasic'], async () => {
    const { getCustomerByRefId: c } = await call('GetCustomerStatistics', { input: { customerId: ids.acme } });
    const counts = Object.fromEntries(c.statistics.activeSubscriptionsByPricingType.map((x) => [x.pricingType, x.totalCount]));
    assert.equal(counts.PAID, 1);
    assert.equal(counts.FREE || 0, 0);
  });

  await step('UpdateCustomer changes only the fields sent', ['acmeBasic'], async () => {
    const { updateCustomer: c } = await call('UpdateCustomer', {
      input: { customerId: ids.acme, name: 'Acme Corporation', additionalMetaData: { source: 'compat', tier: 'gold' } },
    });
    assert.equal(c.name, 'Acme Corporation');
    assert.equal(c.email, 'billing@acme.example', 'email not sent, so kept');
    assert.deepEqual(c.additionalMetaData, { source: 'compat', tier: 'gold' });
    const { getCustomerByRefId: back } = await call('GetCustomerById', { input: { customerId: ids.acme } });
    assert.equal(back.name, 'Acme Corporation');
    assert.deepEqual(back.additionalMetaData, { source: 'compat', tier: 'gold' });
  });

  await step('GrantPromotionalEntitlements for demo features', ['acmeBasic'], async () => {
    const customEnd = new Date(Date.now() + 10 * DAY).toISOString();
    const { grantPromotionalEntitlements: granted } = await call('GrantPromotionalEntitlements', {
      input: {
        customerId: ids.acme,
        promotionalEntitlements: [
          { featureId: 'feature-sso', period: 'ONE_MONTH' },
          { featureId: 'feature-seats', period: 'CUSTOM', customEndDate: customEnd, usageLimit: 20 },
        ],
      },
    });
    assert.equal(granted.length, 2);
    const sso = entitlementOf(granted, 'feature-sso');
    const seats = entitlementOf(granted, 'feature-seats');
    assert.equal(sso.status, 'Active');
    assert.ok(days(new Date().toISOString(), sso.endDate) >= 27, `ONE_MONTH ends in about a month: ${sso.endDate}`);
    assert.equal(seats.usageLimit, 20);
    assert.ok(Math.abs(Date.parse(seats.endDate) - Date.parse(customEnd)) < 1000, `CUSTOM ends at customEndDate: ${seats.endDate}`);

    const { getCustomerByRefId: c } = await call('GetCustomerById', { input: { customerId: ids.acme } });
    assert.deepEqual(sorted(c.promotionalEntitlements.map((p) => p.feature.refId)), ['feature-seats', 'feature-sso']);
    state.granted = true;
  });

  await step('RevokePromotionalEntitlement removes one', ['granted'], async () => {
    const { revokePromotionalEntitlement: out } = await call('RevokePromotionalEntitlement', {
      input: { customerId: ids.acme, featureId: 'feature-sso' },
    });
    assert.equal(typeof out.id, 'string');
    assert.ok(out.id.length > 0);
    const { getCustomerByRefId: c } = await call('GetCustomerById', { input: { customerId: ids.acme } });
    const active = c.promotionalEntitlements.filter((p) => p.status === 'Active').map((p) => p.feature.refId);
    assert.deepEqual(active, ['feature-seats']);
  });

  await step('GetActiveSubscriptions and GetActiveSubscriptionsList list the trial', ['acmeBasic'], async () => {
    const { getActiveSubscriptions: full } = await call('GetActiveSubscriptions', { input: { customerId: ids.acme } });
    assert.deepEqual(full.map((s) => s.subscriptionId), [state.acmeBasic]);
    assert.equal(full[0].status, 'IN_TRIAL');
    assert.equal(full[0].plan.refId, 'plan-revvenu-basic');
    assert.equal(full[0].trialConfiguration.trialEndBehavior, 'CONVERT_TO_PAID');

    const { getActiveSubscriptions: slim } = await call('GetActiveSubscriptionsList', { input: { customerId: ids.acme } });
    assert.deepEqual(slim.map((s) => s.subscriptionId), [state.acmeBasic]);
    assert.equal(slim[0].plan.planId, 'plan-revvenu-basic');
    assert.equal(slim[0].customer.customerId, ids.acme);
    assert.equal(slim[0].pricingType, 'PAID');
  });

  await step('UpdateSubscription adds an add-on', ['acmeBasic'], async () => {
    const { updateSubscription: sub } = await call('UpdateSubscription', {
      input: { subscriptionId: state.acmeBasic, addons: [{ addonId: 'addon-extra-seats', quantity: 2 }] },
    });
    assert.equal(sub.subscriptionId, state.acmeBasic);
    assert.deepEqual(sub.addons.map((a) => [a.addon.refId, a.quantity]), [['addon-extra-seats', 2]]);
    assert.equal(sub.status, 'IN_TRIAL', 'still in trial');
    assert.equal(sub.totalPrice.subTotal.amount, 29 + 2 * 20);
    state.addonAdded = true;
  });

  await step('GetSubscription reads the subscription by id', ['addonAdded'], async () => {
    const { getSubscription: sub } = await call('GetSubscription', { input: { subscriptionId: state.acmeBasic } });
    assert.equal(sub.subscriptionId, state.acmeBasic);
    assert.equal(sub.status, 'IN_TRIAL');
    assert.equal(sub.plan.refId, 'plan-revvenu-basic');
    assert.equal(sub.addons.length, 1);
    assert.equal(sub.addons[0].quantity, 2);
    assert.equal(sub.addons[0].addon.refId, 'addon-extra-seats');
    assert.equal(entitlementOf(sub.addons[0].addon.entitlements, 'feature-seats').usageLimit, 5);
  });

  await step('ProvisionSubscription to a second product', ['acmeBasic'], async () => {
    const { provisionSubscription: out } = await call('ProvisionSubscription', {
      input: { customerId: ids.acme, planId: 'plan-insights-growth' },
    });
    assert.equal(out.status, 'SUCCESS');
    assert.equal(out.checkoutUrl, null);
    const sub = out.subscription;
    assert.equal(sub.plan.refId, 'plan-insights-growth');
    assert.equal(sub.status, 'IN_TRIAL');
    assert.equal(sub.customer.refId, ids.acme);
    const dashboards = entitlementOf(out.entitlements, 'feature-dashboards');
    assert.ok(dashboards, 'entitlement to feature-dashboards');
    assert.equal(dashboards.hasUnlimitedUsage, true);
    state.acmeGrowth = sub.subscriptionId;
  });

  await step('GetSubscriptions filters by customer and pages', ['acmeGrowth'], async () => {
    const { subscriptions } = await call('GetSubscriptions', {
      filter: { customerId: { eq: ids.acme } },
      paging: { first: 10 },
    });
    const nodes = subscriptions.edges.map((e) => e.node);
    assert.deepEqual(sorted(nodes.map((n) => n.subscriptionId)), sorted([state.acmeBasic, state.acmeGrowth]));
    assert.ok(nodes.every((n) => n.customer.customerId === ids.acme));
    const growth = nodes.find((n) => n.subscriptionId === state.acmeGrowth);
    assert.equal(growth.plan.planId, 'plan-insights-growth');
    assert.equal(growth.trialConfiguration.trialEndBehavior, 'CANCEL_SUBSCRIPTION');
    const basic = nodes.find((n) => n.subscriptionId === state.acmeBasic);
    assert.deepEqual(basic.addons.map((a) => [a.addon.addonId, a.quantity]), [['addon-extra-seats', 2]]);
    assert.equal(subscriptions.pageInfo.hasNextPage, false);

    const { subscriptions: page } = await call('GetSubscriptions', {
      filter: { customerId: { eq: ids.acme } },
      paging: { first: 1 },
    });
    assert.equal(page.edges.length, 1);
    assert.equal(page.pageInfo.hasNextPage, true);
    const { subscriptions: next } = await call('GetSubscriptions', {
      filter: { customerId: { eq: ids.acme } },
      paging: { first: 1, after: page.pageInfo.endCursor },
    });
    assert.equal(next.edges.length, 1);
    assert.notEqual(next.edges[0].node.subscriptionId, page.edges[0].node.subscriptionId);
  });

  await step('CancelSubscription ends the trial now', ['acmeGrowth'], async () => {
    const { cancelSubscription: sub } = await call('CancelSubscription', {
      input: { subscriptionRefId: state.acmeBasic, subscriptionCancellationTime: 'IMMEDIATE' },
    });
    assert.equal(sub.subscriptionId, state.acmeBasic);
    assert.equal(sub.status, 'CANCELED');
    assert.ok(sub.cancellationDate, 'cancellationDate set');
    assert.ok(Date.parse(sub.effectiveEndDate) <= Date.now() + 1000, `ended now: ${sub.effectiveEndDate}`);

    const { getActiveSubscriptions: active } = await call('GetActiveSubscriptionsList', { input: { customerId: ids.acme } });
    const plans = active.map((s) => s.plan.planId);
    assert.ok(!plans.includes('plan-revvenu-basic'), `Basic no longer active: ${plans}`);
    assert.ok(plans.includes('plan-insights-growth'), `Growth still active: ${plans}`);
  });

  await step('ImportCustomer with a billing id and a payment method', [], async () => {
    const { importCustomer: c } = await call('ImportCustomer', {
      input: {
        customerId: ids.imported,
        name: 'Imported Ltd',
        email: 'ops@imported.example',
        billingId: `cus_${run}`,
        paymentMethodId: `pm_${run}`,
      },
    });
    assert.equal(c.customerId, ids.imported);
    assert.equal(c.name, 'Imported Ltd');
    assert.equal(c.billingId, `cus_${run}`);
    const { getCustomerByRefId: back } = await call('GetCustomerById', { input: { customerId: ids.imported } });
    assert.equal(back.email, 'ops@imported.example');
    assert.equal(back.hasPaymentMethod, true);
    assert.equal(back.subscriptions.length, 0);
    state.imported = true;
  });

  await step('CreateSubscription with seats and a coupon', ['imported'], async () => {
    const { createSubscription: sub } = await call('CreateSubscription', {
      input: {
        customerId: ids.imported,
        planId: 'plan-revvenu-pro',
        billingPeriod: 'MONTHLY',
        unitQuantity: 3,
        appliedCoupon: { couponId: 'coupon-welcome-20' },
      },
    });
    assert.equal(sub.plan.refId, 'plan-revvenu-pro');
    assert.equal(sub.customer.refId, ids.imported);
    assert.equal(sub.status, 'ACTIVE', 'Pro has no trial of its own');
    const perSeat = sub.prices.find((p) => p.price.billingModel === 'PER_UNIT');
    assert.equal(perSeat.usageLimit, 3);
    assert.equal(perSeat.price.feature.refId, 'feature-seats');
    assert.equal(sub.totalPrice.subTotal.amount, 79 + 3 * 12);
    assert.equal(sub.totalPrice.total.amount, (79 + 3 * 12) * 0.8, '20% off');

    const { getSubscription: full } = await call('GetSubscription', { input: { subscriptionId: sub.subscriptionId } });
    assert.equal(full.plan.basePlan.refId, 'plan-revvenu-basic');
    assert.deepEqual(
      sorted(full.plan.inheritedEntitlements.map((e) => e.feature.refId)),
      ['feature-custom-domain', 'feature-seats'],
      'Pro inherits what it does not set itself from Basic',
    );
    assert.equal(entitlementOf(full.plan.entitlements, 'feature-api-calls').hasUnlimitedUsage, true);
    state.importedPro = sub.subscriptionId;
  });

  await step('DetachCustomerPaymentMethod', ['imported'], async () => {
    const { detachCustomerPaymentMethod: c } = await call('DetachCustomerPaymentMethod', {
      input: { customerId: ids.imported },
    });
    assert.equal(c.customerId, ids.imported);
    const { getCustomerByRefId: back } = await call('GetCustomerById', { input: { customerId: ids.imported } });
    assert.equal(back.hasPaymentMethod, false);
    assert.equal(back.defaultPaymentMethodLast4Digits, null);
  });

  await step('ImportCustomerBulk imports all of them', [], async () => {
    const customers = ids.bulk.map((customerId, i) => ({
      customerId,
      name: `Bulk ${i + 1}`,
      email: `bulk${i + 1}@bulk.example`,
    }));
    const { importCustomersBulk: importId } = await call('ImportCustomerBulk', { input: { customers } });
    assert.equal(typeof importId, 'string');
    assert.ok(importId.length > 0, 'an import id');
    for (const want of customers) {
      const { getCustomerByRefId: c } = await call('GetCustomerById', { input: { customerId: want.customerId } });
      assert.equal(c.name, want.name);
      assert.equal(c.email, want.email);
    }
  });

  await step('ArchiveCustomer hides the customer', ['importedPro'], async () => {
    const { archiveCustomer: c } = await call('ArchiveCustomer', { input: { customerId: ids.imported } });
    assert.equal(c.customerId, ids.imported);
    await rejectsWith('GetCustomerById', { input: { customerId: ids.imported } }, 'CustomerNotFound');
    state.archived = true;
  });

  await step('UnarchiveCustomer brings it back', ['archived'], async () => {
    const { unarchiveCustomer: c } = await call('UnarchiveCustomer', { input: { customerId: ids.imported } });
    assert.equal(c.customerId, ids.imported);
    const { getCustomerByRefId: back } = await call('GetCustomerById', { input: { customerId: ids.imported } });
    assert.equal(back.customerId, ids.imported);
    assert.equal(back.billingId, `cus_${run}`);
    assert.equal(back.hasActiveSubscription, false, 'archiving ended its subscriptions');
    const { getActiveSubscriptions: active } = await call('GetActiveSubscriptionsList', { input: { customerId: ids.imported } });
    assert.deepEqual(active, []);
  });
});
