'use strict';
// The subscription operations beyond create/update/cancel, through
// @stigg/node-server-sdk 3.95.0 (unmodified) against a running stiggql with
// the demo catalog, each checked on a refetch: importSubscriptionBulk,
// transferSubscriptionToResource, transferSubscription,
// delegateSubscriptionToCustomer, scheduled updates (recorded, then
// cancelled with cancelSubscriptionScheduledUpdates), and the 4.x inputs
// the 3.95.0 SDK cannot send (entitlements, charges, priceOverrides,
// cancellationDate, billingCycleAnchor), sent as plain GraphQL requests
// and checked through the SDK.
//
// Run with `bash compat/run.sh`, or STIGGQL_URL=... STIGG_API_KEY=... node --test compat/test/

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Stigg } = require('@stigg/node-server-sdk');

const { server } = require('../lib/sdk');

const { baseUrl, apiKey } = server();
const DAY = 24 * 60 * 60 * 1000;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const id = (name) => `ops-${name}-${run}`;
const STEP = { timeout: 30_000 };

const quiet = () => {};
const logger = { log: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };
const stigg = Stigg.initialize({ apiKey, baseUri: baseUrl, baseEdgeUri: baseUrl, logConfiguration: { logger, logLevel: 'error' } });
after(() => stigg.close());

// gql sends one GraphQL request as any client would and returns its data.
async function gql(query, variables) {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (body.errors) {
    const err = new Error(body.errors.map((e) => e.message).join('; '));
    err.codes = body.errors.map((e) => e.extensions && e.extensions.code);
    throw err;
  }
  return body.data;
}

const SUB = `query($id: String!) { getSubscription(input: {subscriptionId: $id}) {
  effectiveEndDate billingCycleAnchor isCustomPriceSubscription
  totalPrice { total { amount } }
  subscriptionEntitlements { featureId usageLimit hasUnlimitedUsage }
} }`;

test('subscription operations through node-server-sdk 3.95.0', { timeout: 200_000 }, async (t) => {
  await stigg.waitForInitialization();
  const [payer, delegate, sched, custom] = ['payer', 'delegate', 'sched', 'custom'].map(id);
  for (const customerId of [payer, delegate, sched, custom]) {
    await stigg.provisionCustomer({ customerId, subscriptionParams: null });
  }
  const imported = id('imported');

  await t.test('importSubscriptionBulk, seen on refetch', STEP, async () => {
    await stigg.importSubscriptionBulk({
      subscriptions: [{ customerId: payer, planId: 'plan-insights-starter', subscriptionId: imported, resourceId: 'site-1' }],
    });
    const sub = await stigg.getSubscription({ subscriptionId: imported });
    assert.equal(sub.plan.id, 'plan-insights-starter');
    assert.equal(sub.resource && sub.resource.id, 'site-1');
  });

  await t.test('transferSubscriptionToResource, then transferSubscription', STEP, async () => {
    await stigg.transferSubscriptionToResource({ subscriptionId: imported, destinationResourceId: 'site-2' });
    assert.equal((await stigg.getSubscription({ subscriptionId: imported })).resource.id, 'site-2');
    await stigg.transferSubscription({ customerId: payer, sourceResourceId: 'site-2', destinationResourceId: 'site-3' });
    assert.equal((await stigg.getSubscription({ subscriptionId: imported })).resource.id, 'site-3');
  });

  await t.test('delegateSubscriptionToCustomer: the delegate gets it, the payer keeps paying', STEP, async () => {
    await stigg.delegateSubscriptionToCustomer({ subscriptionId: imported, destinationCustomerId: delegate });
    const active = await stigg.getActiveSubscriptions({ customerId: delegate, resourceId: 'site-3' });
    assert.deepEqual(active.map((s) => s.id), [imported]);
    assert.equal(active[0].payingCustomer && active[0].payingCustomer.id, payer);
  });

  await t.test('a scheduled update is recorded, then cancelled', STEP, async () => {
    const out = await stigg.provisionSubscription({ customerId: sched, planId: 'plan-revvenu-basic', skipTrial: true });
    const subscriptionId = out.subscription.id;
    await stigg.updateSubscription({ subscriptionId, addons: [{ addonId: 'addon-extra-seats', quantity: 1 }], scheduleStrategy: 'END_OF_BILLING_PERIOD' });
    let sub = await stigg.getSubscription({ subscriptionId });
    assert.deepEqual(sub.addons, [], 'not applied before its time');
    assert.equal(sub.futureUpdates.length, 1, JSON.stringify(sub.futureUpdates));
    assert.equal(sub.futureUpdates[0].scheduleStatus, 'Scheduled');
    await stigg.cancelSubscriptionScheduledUpdates({ subscriptionId });
    sub = await stigg.getSubscription({ subscriptionId });
    assert.deepEqual(sub.futureUpdates, [], 'cancelled');
  });

  await t.test('4.x inputs: entitlements, priceOverrides, cancellationDate, billingCycleAnchor', STEP, async () => {
    const cancelAt = new Date(Date.now() + 20 * DAY).toISOString();
    const data = await gql(`mutation($input: ProvisionSubscriptionInput!) { provisionSubscription(input: $input) { id } }`, {
      input: {
        customerId: custom, planId: 'plan-revvenu-basic', skipTrial: true, cancellationDate: cancelAt, billingCycleAnchor: 'UNCHANGED',
        entitlements: [{ feature: { featureId: 'feature-seats', usageLimit: 42 } }],
        priceOverrides: [{ baseCharge: true, price: { amount: 1 } }],
      },
    });
    const subscriptionId = data.provisionSubscription.id;
    await stigg.reloadEntitlements(custom);
    const seats = await stigg.getMeteredEntitlement({ customerId: custom, featureId: 'feature-seats' });
    assert.equal(seats.isFallback, false);
    assert.equal(seats.usageLimit, 42, 'the subscription\'s own entitlement replaces the plan\'s 5');
    let sub = (await gql(SUB, { id: subscriptionId })).getSubscription;
    assert.equal(Date.parse(sub.effectiveEndDate), Date.parse(cancelAt));
    assert.equal(sub.isCustomPriceSubscription, true);
    assert.equal(sub.totalPrice.total.amount, 1);
    assert.deepEqual(sub.subscriptionEntitlements, [{ featureId: 'feature-seats', usageLimit: 42, hasUnlimitedUsage: false }]);

    await gql(`mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { subscriptionId } }`, {
      input: { subscriptionId, entitlements: [{ feature: { featureId: 'feature-seats', usageLimit: 7 } }], billingCycleAnchor: 'NOW' },
    });
    await stigg.reloadEntitlements(custom);
    assert.equal((await stigg.getMeteredEntitlement({ customerId: custom, featureId: 'feature-seats' })).usageLimit, 7);
    sub = (await gql(SUB, { id: subscriptionId })).getSubscription;
    assert.ok(Math.abs(Date.parse(sub.billingCycleAnchor) - Date.now()) < 60_000, `anchored now: ${sub.billingCycleAnchor}`);

    await assert.rejects(gql(`mutation($input: ProvisionSubscriptionInput!) { provisionSubscription(input: $input) { id } }`, {
      input: { customerId: custom, planId: 'plan-revvenu-basic', entitlements: [{ feature: { featureId: 'feature-seats', usageLimit: -1 } }] },
    }), (err) => err.codes.includes('EntitlementUsageOutOfRangeError'));
  });
});
