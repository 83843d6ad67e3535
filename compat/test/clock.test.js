'use strict';
// Time-driven behaviour through Stigg's server SDK (@stigg/node-server-sdk
// 3.95.0, unmodified, initialised with apiKey, baseUri and baseEdgeUri
// only) against a stiggql started with --test-clock (compat/run.sh does):
// a metered limit enforced, then reset at the usage period's end; trials
// that end (one converts to paid, one cancels); an update scheduled for the
// end of the billing period that applies when the period ends.
//
// The clock moves with POST /_test/clock (README, "Testing with a moving
// clock"). It only moves forward and is the whole server's, so this file
// runs on its own, after the others (compat/run.sh), and every date below is
// relative to the customer's own subscription.
//
// The SDK keeps entitlements in a local cache and judges usage periods and
// validUntil by its own (real) clock, which a test clock leaves behind; the
// server therefore sends entitlementsUpdated to every customer whose
// entitlements depend on the time when the clock moves, and each step waits
// for that event before reading through the SDK.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Stigg } = require('@stigg/node-server-sdk');
const { server, collectingLogger, waitFor } = require('../lib/sdk');

const { baseUrl, apiKey } = server('a running stiggql started with --test-clock');

const HOUR = 60 * 60 * 1000;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ids = { metered: `clock-metered-${run}`, trial: `clock-trial-${run}`, scheduled: `clock-scheduled-${run}` };

const logged = [];
const logger = collectingLogger(logged);
const stigg = Stigg.initialize({ apiKey, baseUri: baseUrl, baseEdgeUri: baseUrl, logConfiguration: { logger, logLevel: 'error' } });
after(() => stigg.close());
const updates = [];
stigg.addListener('entitlementsUpdated', (payload) => updates.push(payload));

// clock reads (no body) or moves ({set} or {advance}) the server's clock.
async function clock(move) {
  const res = await fetch(`${baseUrl}/_test/clock`, {
    method: move ? 'POST' : 'GET',
    headers: { 'X-API-KEY': apiKey, 'Content-Type': 'application/json' },
    body: move ? JSON.stringify(move) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `test clock: ${JSON.stringify(body)}`);
  return body;
}

// moveAndHear moves the clock to just past `past` and waits for the SDK to
// hear the customer's entitlements as the moved clock computes them
// (check(entitlements by feature) true).
async function moveAndHear(customerId, past, check) {
  const seen = updates.length;
  const moved = await clock({ set: new Date(past.getTime() + HOUR).toISOString() });
  assert.ok(moved.entitlementsUpdated >= 1, JSON.stringify(moved));
  await waitFor(`entitlementsUpdated for ${customerId} after the clock moved`, () =>
    updates.slice(seen).find((e) => e.customerId === customerId && check(Object.fromEntries(e.entitlements.map((x) => [x.feature.refId, x])))));
  return moved;
}

// entitlement reads through the SDK (cache, else the edge): computed, not
// a fallback, and nothing swallowed.
async function entitlement(kind, customerId, featureId, options) {
  const before = logged.length;
  const e = await stigg[`get${kind}Entitlement`]({ customerId, featureId, options });
  assert.deepEqual(logged.slice(before), [], `the SDK logged errors while getting ${featureId}`);
  assert.equal(e.isFallback, false, `${featureId}: a fallback: ${JSON.stringify(e)}`);
  return e;
}

// The server's clock (GET), or null when it runs without --test-clock.
const serverClock = fetch(`${baseUrl}/_test/clock`, { headers: { 'X-API-KEY': apiKey }, signal: AbortSignal.timeout(10_000) })
  .then(async (res) => (res.status === 404 ? null : res.json()));

// clockTest is a test that needs the test clock: skipped (with the reason)
// on a server started without it.
function clockTest(name, fn) {
  test(name, { timeout: 60_000 }, async (t) => {
    const c = await serverClock;
    if (!c) return t.skip('the server was started without --test-clock');
    assert.ok(new Date(c.now).getTime() >= Date.now() - 60_000, `the test clock is behind real time: ${c.now}`);
    await stigg.waitForInitialization();
    return fn(t);
  });
}

clockTest('a metered limit is enforced, and resets at the end of the usage period', async () => {
  await stigg.provisionCustomer({ customerId: ids.metered, subscriptionParams: { planId: 'plan-revvenu-free' } });
  // provisionCustomer's answer, which the SDK caches, carries the plan's
  // entitlements without their usage period (the server answers the
  // package entitlements there, not the computed ones): read them afresh.
  await stigg.reloadEntitlements(ids.metered);
  const fresh = await entitlement('Metered', ids.metered, 'feature-api-calls');
  assert.equal(fresh.usageLimit, 1000);
  assert.equal(fresh.currentUsage, 0);
  assert.equal(fresh.resetPeriod, 'MONTH');
  const { usagePeriodStart: start, usagePeriodEnd: end } = fresh;
  assert.ok(start instanceof Date && end instanceof Date && start < end, JSON.stringify(fresh));

  await stigg.reportUsage({ customerId: ids.metered, featureId: 'feature-api-calls', value: 1000 });
  let calls = await entitlement('Metered', ids.metered, 'feature-api-calls', { requestedUsage: 1 });
  assert.equal(calls.currentUsage, 1000);
  assert.equal(calls.hasAccess, false, 'one call past the limit of 1000');
  assert.equal(calls.accessDeniedReason, 'RequestedUsageExceedingLimit');

  // Just before the period ends nothing changes.
  await clock({ set: new Date(end.getTime() - HOUR).toISOString() });
  await stigg.reloadEntitlements(ids.metered);
  calls = await entitlement('Metered', ids.metered, 'feature-api-calls', { requestedUsage: 1 });
  assert.equal(calls.currentUsage, 1000, 'still the same period an hour before its end');
  assert.equal(calls.hasAccess, false);

  await moveAndHear(ids.metered, end, (e) => e['feature-api-calls'] && e['feature-api-calls'].currentUsage === 0);
  calls = await entitlement('Metered', ids.metered, 'feature-api-calls', { requestedUsage: 1 });
  assert.equal(calls.currentUsage, 0, 'a new period starts at zero');
  assert.equal(calls.hasAccess, true);
  assert.equal(calls.accessDeniedReason, undefined);
  assert.equal(calls.usagePeriodStart.getTime(), end.getTime(), 'the new period starts where the last one ended');
  assert.ok(calls.usagePeriodEnd > calls.usagePeriodStart, JSON.stringify(calls));

  // Usage now lands in the new period, and the server agrees with the cache.
  const ack = await stigg.reportUsage({ customerId: ids.metered, featureId: 'feature-api-calls', value: 3 });
  assert.equal(ack.currentUsage, 3);
  await stigg.reloadEntitlements(ids.metered);
  assert.equal((await entitlement('Metered', ids.metered, 'feature-api-calls')).currentUsage, 3);
});

clockTest('trials end: one converts to paid, one cancels and takes its entitlements away', async () => {
  // Basic: a 14-day trial that converts to paid; Growth: a one-month trial
  // that cancels the subscription (docs/catalog.md, the demo catalog).
  const out = await stigg.provisionCustomer({ customerId: ids.trial, subscriptionParams: { planId: 'plan-revvenu-basic' } });
  const basic = out.subscription.id;
  // provisionSubscription, not createSubscription: the SDK's
  // createSubscription sends its own clock as the startDate when given none,
  // which is the past on a server whose clock moved ahead.
  const growth = (await stigg.provisionSubscription({ customerId: ids.trial, planId: 'plan-insights-growth' })).subscription.id;
  const [b0, g0] = [await stigg.getSubscription({ subscriptionId: basic }), await stigg.getSubscription({ subscriptionId: growth })];
  assert.equal(b0.status, 'IN_TRIAL');
  assert.equal(g0.status, 'IN_TRIAL');
  assert.ok(b0.trialEndDate < g0.trialEndDate, `${b0.trialEndDate} < ${g0.trialEndDate}`);
  const dashboards = await entitlement('Numeric', ids.trial, 'feature-dashboards');
  assert.equal(dashboards.hasAccess, true);
  assert.equal(dashboards.isUnlimited, true, 'Growth gives unlimited dashboards');

  // Past Basic's trial: it converts to paid and keeps its entitlements.
  await moveAndHear(ids.trial, b0.trialEndDate, (e) => e['feature-custom-domain']);
  assert.equal((await stigg.getSubscription({ subscriptionId: basic })).status, 'ACTIVE');
  assert.equal((await stigg.getSubscription({ subscriptionId: growth })).status, 'IN_TRIAL');
  assert.equal((await entitlement('Boolean', ids.trial, 'feature-custom-domain')).hasAccess, true);
  assert.equal((await entitlement('Numeric', ids.trial, 'feature-dashboards')).isUnlimited, true);

  // Past Growth's trial: it expires, and its dashboards go with it.
  await moveAndHear(ids.trial, g0.trialEndDate, (e) => !e['feature-dashboards']);
  assert.equal((await stigg.getSubscription({ subscriptionId: growth })).status, 'EXPIRED');
  const active = await stigg.getActiveSubscriptions({ customerId: ids.trial });
  assert.deepEqual(active.map((s) => s.plan.id), ['plan-revvenu-basic']);
  const after = await entitlement('Numeric', ids.trial, 'feature-dashboards');
  assert.equal(after.hasAccess, false, `no dashboards once the trial ended: ${JSON.stringify(after)}`);
  assert.equal((await entitlement('Boolean', ids.trial, 'feature-custom-domain')).hasAccess, true, 'Basic is untouched');
});

clockTest('an update scheduled for the end of the billing period applies when the period ends', async () => {
  await stigg.provisionCustomer({ customerId: ids.scheduled, subscriptionParams: null });
  const sub = (await stigg.provisionSubscription({ customerId: ids.scheduled, planId: 'plan-revvenu-basic', skipTrial: true })).subscription;
  const before = await stigg.getSubscription({ subscriptionId: sub.id });
  assert.equal(before.status, 'ACTIVE');
  const periodEnd = before.currentBillingPeriodEnd;
  assert.ok(periodEnd instanceof Date, JSON.stringify(before));

  await stigg.updateSubscription({
    subscriptionId: sub.id,
    addons: [{ addonId: 'addon-extra-seats', quantity: 1 }],
    scheduleStrategy: 'END_OF_BILLING_PERIOD',
  });
  const scheduled = await stigg.getSubscription({ subscriptionId: sub.id });
  assert.deepEqual(scheduled.addons, [], 'nothing changes before the period ends');
  assert.equal(scheduled.futureUpdates.length, 1, JSON.stringify(scheduled.futureUpdates));
  assert.equal(scheduled.futureUpdates[0].scheduleStatus, 'Scheduled');
  assert.equal(new Date(scheduled.futureUpdates[0].scheduledExecutionTime).getTime(), periodEnd.getTime());
  assert.equal((await entitlement('Metered', ids.scheduled, 'feature-seats')).usageLimit, 5);

  const moved = await moveAndHear(ids.scheduled, periodEnd, (e) => e['feature-seats'] && e['feature-seats'].usageLimit === 10);
  assert.ok(moved.scheduledUpdatesApplied >= 1, JSON.stringify(moved));
  const applied = await stigg.getSubscription({ subscriptionId: sub.id });
  assert.deepEqual(applied.addons.map((a) => [a.addon.id, a.quantity]), [['addon-extra-seats', 1]]);
  assert.deepEqual(applied.futureUpdates, []);
  assert.equal((await entitlement('Metered', ids.scheduled, 'feature-seats')).usageLimit, 5 + 5);
});
