'use strict';
// Stigg's server SDK (@stigg/node-server-sdk 3.95.0, unmodified) against a
// running stiggql with the embedded demo catalog (docs/catalog.md),
// initialised as the README says: apiKey, baseUri and baseEdgeUri only, so
// the edge API, the remote configuration and realtime updates all run at
// their defaults.
//
// One scenario, in steps that share state: initialisation; every customer,
// subscription and promotional-entitlement method, each checked on a
// refetch; the entitlement getters on a customer of a catalog plan, and how
// they change after an add-on, a promotional grant, a revoke, a usage report
// and a cancel; a metered limit; a realtime listener.
//
// Run with `bash compat/run.sh`, or against a server you started:
//   STIGGQL_URL=http://127.0.0.1:8080 STIGG_API_KEY=server-... node --test compat/test/

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Stigg } = require('@stigg/node-server-sdk');
const { server, collectingLogger, waitFor } = require('../lib/sdk');

const { baseUrl, apiKey } = server();

const DAY = 24 * 60 * 60 * 1000;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ids = {
  acme: `sdk-acme-${run}`,
  beta: `sdk-beta-${run}`,
  created: `sdk-created-${run}`,
  imported: `sdk-imported-${run}`,
  bulk: [1, 2].map((i) => `sdk-bulk-${i}-${run}`),
};
const STEP = { timeout: 30_000 };

// Logged SDK errors are collected: the SDK swallows failures of the
// entitlement getters (it answers a fallback and logs), so a step that
// expects computed values also checks nothing was logged meanwhile.
const logged = [];
const logger = collectingLogger(logged);

// The smallest configuration that works (README, "Stigg's Node.js SDK"):
// the SDK derives the WebSocket address from baseUri, but not the edge
// address (for localhost it would use port 3060), so baseEdgeUri is the
// server's address too. Only the logger is added, to report what the SDK
// swallows.
const stigg = Stigg.initialize({
  apiKey,
  baseUri: baseUrl,
  baseEdgeUri: baseUrl,
  logConfiguration: { logger, logLevel: 'error' },
});
after(() => stigg.close());

// Realtime events the SDK re-emits to its listeners.
const events = { entitlementsUpdated: [], usageUpdated: [] };
for (const name of Object.keys(events)) stigg.addListener(name, (payload) => events[name].push(payload));

const planOf = (subs, planId) => subs.find((s) => (s.plan ? s.plan.id : s.planId) === planId);
const activePromotions = (c) => c.promotionalEntitlements.filter((p) => p.status === 'Active').map((p) => p.feature.id).sort();

test('node-server-sdk 3.95.0 with apiKey, baseUri and baseEdgeUri only', { timeout: 280_000 }, async (t) => {
  const state = {};
  // step runs fn as a subtest unless an earlier step it needs did not
  // succeed.
  const step = (name, opts, fn) =>
    t.test(name, STEP, async (s) => {
      const missing = (opts.needs || []).filter((k) => state[k] === undefined);
      if (missing.length) return s.skip(`needs ${missing.join(', ')} from an earlier step`);
      return fn(s);
    });

  // Computed entitlements: no fallback, nothing swallowed.
  async function entitlement(kind, featureId, options, customerId = ids.acme) {
    const before = logged.length;
    const e = await stigg[`get${kind}Entitlement`]({ customerId, featureId, options });
    const swallowed = logged.slice(before).filter((l) => /entitlement/i.test(l));
    assert.deepEqual(swallowed, [], `the SDK logged errors while getting ${featureId}`);
    assert.equal(e.isFallback, false, `${featureId}: a fallback, not a computed entitlement: ${JSON.stringify(e)}`);
    return e;
  }

  await step('initialisation succeeds (edge configuration, remote config, realtime)', {}, async () => {
    await stigg.waitForInitialization();
    state.init = true;
  });

  // --- customers -----------------------------------------------------------

  await step('provisionCustomer with a subscription to a catalog plan', {}, async () => {
    const out = await stigg.provisionCustomer({
      customerId: ids.acme,
      name: 'Acme',
      email: 'ops@acme.example',
      metadata: { team: 'growth' },
      subscriptionParams: { planId: 'plan-revvenu-basic' },
    });
    assert.equal(out.customer.id, ids.acme);
    assert.equal(out.subscription.planId, 'plan-revvenu-basic');
    const back = await stigg.getCustomer(ids.acme);
    assert.equal(back.name, 'Acme');
    assert.equal(back.email, 'ops@acme.example');
    assert.deepEqual(back.metadata, { team: 'growth' });
    assert.deepEqual(back.subscriptions.map((s) => s.plan.id), ['plan-revvenu-basic']);
    state.basic = out.subscription.id;
  });

  await step('createCustomer', {}, async () => {
    const c = await stigg.createCustomer({ customerId: ids.created, name: 'Created' });
    assert.equal(c.id, ids.created);
    assert.equal((await stigg.getCustomer(ids.created)).name, 'Created');
    state.created = true;
  });

  await step('updateCustomer', { needs: ['basic'] }, async () => {
    const c = await stigg.updateCustomer({ customerId: ids.acme, name: 'Acme Inc', metadata: { team: 'ops' } });
    assert.equal(c.name, 'Acme Inc');
    const back = await stigg.getCustomer(ids.acme);
    assert.equal(back.name, 'Acme Inc');
    assert.deepEqual(back.metadata, { team: 'ops' });
  });

  await step('getCustomerStatistics', { needs: ['basic'] }, async () => {
    const { statistics: s } = await stigg.getCustomerStatistics(ids.acme);
    assert.ok(s && Array.isArray(s.activeSubscriptionsByPricingType), JSON.stringify(s));
    const paid = s.activeSubscriptionsByPricingType.find((x) => x.pricingType === 'PAID');
    assert.equal(paid && paid.totalCount, 1, JSON.stringify(s));
  });

  await step('importCustomer', {}, async () => {
    const c = await stigg.importCustomer({ customerId: ids.imported, name: 'Imported', email: 'a@imported.example', billingId: `cus_${run}` });
    assert.equal(c.id, ids.imported);
    const back = await stigg.getCustomer(ids.imported);
    assert.equal(back.billingId, `cus_${run}`);
    state.imported = true;
  });

  await step('detachCustomerPaymentMethod', { needs: ['imported'] }, async () => {
    const c = await stigg.detachCustomerPaymentMethod(ids.imported);
    assert.equal(c.id, ids.imported);
    assert.equal((await stigg.getCustomer(ids.imported)).hasPaymentMethod, false);
  });

  await step('importCustomerBulk', {}, async () => {
    await stigg.importCustomerBulk({ customers: ids.bulk.map((customerId, i) => ({ customerId, name: `Bulk ${i}` })) });
    for (const [i, id] of ids.bulk.entries()) assert.equal((await stigg.getCustomer(id)).name, `Bulk ${i}`);
  });

  await step('archiveCustomer, then unarchiveCustomer', { needs: ['created'] }, async () => {
    assert.equal(await stigg.archiveCustomer(ids.created), ids.created);
    await assert.rejects(stigg.getCustomer(ids.created), /not found/i, 'an archived customer is not found');
    const c = await stigg.unarchiveCustomer(ids.created);
    assert.equal(c.id, ids.created);
    // Archiving cleared the name and email (README, Customers).
    const back = await stigg.getCustomer(ids.created);
    assert.equal(back.id, ids.created);
    assert.equal(back.name, undefined);
  });

  // --- subscriptions ---------------------------------------------------------

  await step('getActiveSubscriptions, getActiveSubscriptionsList (edge), getSubscription, getSubscriptions', { needs: ['basic'] }, async () => {
    const full = await stigg.getActiveSubscriptions({ customerId: ids.acme });
    assert.deepEqual(full.map((s) => s.id), [state.basic]);
    const slim = await stigg.getActiveSubscriptionsList({ customerId: ids.acme });
    assert.deepEqual(slim.map((s) => [s.subscriptionId, s.plan.planId]), [[state.basic, 'plan-revvenu-basic']]);
    const one = await stigg.getSubscription({ subscriptionId: state.basic });
    assert.equal(one.plan.id, 'plan-revvenu-basic');
    const page = await stigg.getSubscriptions({ customerId: ids.acme });
    assert.deepEqual(page.data.map((s) => s.subscriptionId), [state.basic], JSON.stringify(page));
  });

  await step('createSubscription to a second product', { needs: ['basic'] }, async () => {
    const sub = await stigg.createSubscription({ customerId: ids.acme, planId: 'plan-insights-starter' });
    assert.equal(sub.planId, 'plan-insights-starter');
    const active = await stigg.getActiveSubscriptions({ customerId: ids.acme });
    assert.ok(planOf(active, 'plan-insights-starter'), 'the new subscription is active');
    state.starter = sub.id;
  });

  await step('provisionSubscription', {}, async () => {
    await stigg.provisionCustomer({ customerId: ids.beta, subscriptionParams: null });
    const out = await stigg.provisionSubscription({ customerId: ids.beta, planId: 'plan-revvenu-free' });
    assert.equal(out.provisionStatus, 'SUCCESS');
    assert.equal(out.subscription.planId, 'plan-revvenu-free');
    const active = await stigg.getActiveSubscriptions({ customerId: ids.beta });
    assert.deepEqual(active.map((s) => s.plan.id), ['plan-revvenu-free']);
    state.beta = out.subscription.id;
  });

  await step('grantPromotionalEntitlements and revokePromotionalEntitlements, seen on refetch', { needs: ['beta'] }, async () => {
    const granted = await stigg.grantPromotionalEntitlements({
      customerId: ids.beta,
      promotionalEntitlements: [
        { featureId: 'feature-sso', period: 'ONE_MONTH' },
        { featureId: 'feature-seats', period: 'CUSTOM', customEndDate: new Date(Date.now() + 10 * DAY), usageLimit: 20 },
      ],
    });
    assert.deepEqual(granted.map((g) => g.feature.refId).sort(), ['feature-seats', 'feature-sso']);
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.beta)), ['feature-seats', 'feature-sso']);
    const out = await stigg.revokePromotionalEntitlements({ customerId: ids.beta, featureId: 'feature-sso' });
    assert.ok(out && out.id, JSON.stringify(out));
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.beta)), ['feature-seats']);
  });

  // --- entitlements on a catalog plan ------------------------------------------

  await step('entitlements of plan-revvenu-basic are computed, not fallbacks', { needs: ['basic'] }, async () => {
    const domain = await entitlement('Boolean', 'feature-custom-domain');
    assert.equal(domain.hasAccess, true);
    const sso = await entitlement('Boolean', 'feature-sso');
    assert.equal(sso.hasAccess, false, 'Basic has no SSO');

    const support = await entitlement('Enum', 'feature-support-level');
    assert.equal(support.hasAccess, true);
    assert.deepEqual([...support.enumValues].sort(), ['chat', 'email']);
    const phone = await entitlement('Enum', 'feature-support-level', { requestedValues: ['phone'] });
    assert.equal(phone.hasAccess, false, 'phone support is not in Basic');

    const calls = await entitlement('Metered', 'feature-api-calls');
    assert.equal(calls.hasAccess, true);
    assert.equal(calls.usageLimit, 10000);
    assert.equal(calls.currentUsage, 0);
    assert.equal(calls.resetPeriod, 'MONTH');
    assert.ok(calls.usagePeriodStart && calls.usagePeriodEnd, 'a monthly usage period');
    const seats = await entitlement('Metered', 'feature-seats');
    assert.equal(seats.usageLimit, 5);

    const all = await stigg.getEntitlements(ids.acme);
    const byFeature = Object.fromEntries(all.map((e) => [e.feature && e.feature.id, e]));
    for (const f of ['feature-custom-domain', 'feature-support-level', 'feature-api-calls', 'feature-seats']) {
      assert.ok(byFeature[f], `getEntitlements lists ${f}: ${Object.keys(byFeature)}`);
      assert.equal(byFeature[f].isFallback, false);
    }
    assert.ok(!byFeature['feature-sso'], 'getEntitlements does not list SSO');
    state.entitled = true;
  });

  await step('a numeric entitlement from the second product', { needs: ['starter', 'entitled'] }, async () => {
    const dashboards = await entitlement('Numeric', 'feature-dashboards');
    assert.equal(dashboards.hasAccess, true);
    assert.equal(dashboards.value, 3);
    assert.equal(dashboards.isUnlimited, false);
  });

  await step('updateSubscription adds an add-on: more seats', { needs: ['entitled'] }, async () => {
    const sub = await stigg.updateSubscription({ subscriptionId: state.basic, addons: [{ addonId: 'addon-extra-seats', quantity: 2 }] });
    assert.deepEqual(sub.addonIds, ['addon-extra-seats']);
    const back = await stigg.getSubscription({ subscriptionId: state.basic });
    assert.deepEqual(back.addons.map((a) => [a.addon.id, a.quantity]), [['addon-extra-seats', 2]]);
    // The SDK refetched the entitlements after the update.
    assert.equal((await entitlement('Metered', 'feature-seats')).usageLimit, 5 + 2 * 5);
    state.addons = true;
  });

  await step('a promotional grant reaches the SDK in realtime', { needs: ['entitled'] }, async () => {
    const seen = events.entitlementsUpdated.length;
    const granted = await stigg.grantPromotionalEntitlements({
      customerId: ids.acme,
      promotionalEntitlements: [{ featureId: 'feature-sso', period: 'ONE_MONTH' }],
    });
    assert.deepEqual(granted.map((g) => g.feature.refId), ['feature-sso']);
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.acme)), ['feature-sso']);
    // The SDK does not refetch after a grant: its listener hears the change.
    const ev = await waitFor('an entitlementsUpdated event with SSO', () =>
      events.entitlementsUpdated.slice(seen).find((e) => e.customerId === ids.acme && e.entitlements.some((x) => x.feature.refId === 'feature-sso')));
    assert.equal(ev.customerId, ids.acme);
    assert.equal((await entitlement('Boolean', 'feature-sso')).hasAccess, true, 'the grant gives SSO');
    state.granted = true;
  });

  await step('a revoke reaches the SDK in realtime', { needs: ['granted'] }, async () => {
    const seen = events.entitlementsUpdated.length;
    await stigg.revokePromotionalEntitlements({ customerId: ids.acme, featureId: 'feature-sso' });
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.acme)), []);
    await waitFor('an entitlementsUpdated event without SSO', () =>
      events.entitlementsUpdated.slice(seen).find((e) => e.customerId === ids.acme && !e.entitlements.some((x) => x.feature.refId === 'feature-sso')));
    assert.equal((await entitlement('Boolean', 'feature-sso')).hasAccess, false, 'the revoke takes SSO away');
  });

  await step('reportUsage counts, and the metered limit is enforced', { needs: ['entitled'] }, async () => {
    const ack = await stigg.reportUsage({ customerId: ids.acme, featureId: 'feature-api-calls', value: 9990 });
    assert.equal(ack.customerId, ids.acme);
    assert.equal(ack.currentUsage, 9990);
    let calls = await entitlement('Metered', 'feature-api-calls', { requestedUsage: 10 });
    assert.equal(calls.currentUsage, 9990);
    assert.equal(calls.hasAccess, true, '9990 + 10 is within 10000');
    calls = await entitlement('Metered', 'feature-api-calls', { requestedUsage: 11 });
    assert.equal(calls.hasAccess, false, '9990 + 11 is past 10000');
    assert.equal(calls.accessDeniedReason, 'RequestedUsageExceedingLimit');

    await stigg.reportUsage({ customerId: ids.acme, featureId: 'feature-api-calls', value: 10 });
    calls = await entitlement('Metered', 'feature-api-calls', { requestedUsage: 1 });
    assert.equal(calls.currentUsage, 10000);
    assert.equal(calls.hasAccess, false, 'the limit is used up');

    // A fluctuating meter takes SET.
    await stigg.reportUsage({ customerId: ids.acme, featureId: 'feature-seats', value: 7, updateBehavior: 'SET' });
    const seats = await entitlement('Metered', 'feature-seats');
    assert.equal(seats.currentUsage, 7);

    // The server agrees: a fresh read through the edge (a new customer
    // cache) gives the same usage.
    await stigg.reloadEntitlements(ids.acme);
    assert.equal((await entitlement('Metered', 'feature-api-calls')).currentUsage, 10000);
  });

  await step('cancelSubscription ends the plan and its entitlements (down to the free plan)', { needs: ['entitled'] }, async () => {
    const sub = await stigg.cancelSubscription({ subscriptionId: state.basic, subscriptionCancellationTime: 'IMMEDIATE' });
    assert.equal(sub.status, 'CANCELED');
    const active = await stigg.getActiveSubscriptions({ customerId: ids.acme });
    assert.ok(!planOf(active, 'plan-revvenu-basic'), 'Basic is no longer active');
    const domain = await entitlement('Boolean', 'feature-custom-domain');
    assert.equal(domain.hasAccess, false, `no custom domain without Basic: ${JSON.stringify(domain)}; entitlementsUpdated events: ${JSON.stringify(events.entitlementsUpdated.slice(-3).map((e) => e.entitlements.map((x) => x.feature.refId)))}`);
    // The product's downgrade plan takes over: its own, smaller limits.
    assert.ok(planOf(active, 'plan-revvenu-free'), `downgraded to Free: ${active.map((s) => s.plan.id)}`);
    const calls = await entitlement('Metered', 'feature-api-calls');
    assert.equal(calls.usageLimit, 1000);
  });

  // --- the SDK's other subscription and promotion methods ----------------------

  await step('estimateSubscription and previewSubscription price a plan', { needs: ['beta'] }, async () => {
    const est = await stigg.estimateSubscription({ customerId: ids.beta, planId: 'plan-revvenu-basic', billingPeriod: 'MONTHLY' });
    assert.ok(est.total, JSON.stringify(est));
    const prev = await stigg.previewSubscription({ customerId: ids.beta, planId: 'plan-revvenu-basic', billingPeriod: 'MONTHLY' });
    assert.ok(prev.immediateInvoice, JSON.stringify(prev));
  });

  await step('promotional entitlement groups: granted and revoked together', { needs: ['beta'] }, async () => {
    const group = `deal-${run}`;
    const granted = await stigg.grantPromotionalEntitlementsGroup({
      customerId: ids.beta,
      featureGroupId: group,
      promotionalEntitlements: [
        { featureId: 'feature-sso', period: 'ONE_MONTH' },
        { featureId: 'feature-custom-domain', period: 'ONE_WEEK' },
      ],
    });
    assert.equal(granted.length, 2, JSON.stringify(granted));
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.beta)), ['feature-custom-domain', 'feature-seats', 'feature-sso']);
    await stigg.revokePromotionalEntitlementsGroup({ customerId: ids.beta, featureGroupId: group });
    assert.deepEqual(activePromotions(await stigg.getCustomer(ids.beta)), ['feature-seats'], 'the group is revoked, the lone grant stays');
  });

  await step('applySubscription: a trial of a paid plan applies; the paid plan without a trial needs billing', { needs: ['beta'] }, async () => {
    await assert.rejects(stigg.applySubscription({ customerId: ids.beta, planId: 'plan-revvenu-basic', skipTrial: true }),
      (err) => err.errorCode === 'BillingIntegrationMissing', 'no Stripe here: a paid plan cannot be applied');
    const out = await stigg.applySubscription({ customerId: ids.beta, planId: 'plan-revvenu-basic' });
    assert.equal(out.subscription.planId, 'plan-revvenu-basic');
    assert.equal(out.subscription.status, 'IN_TRIAL');
    const active = await stigg.getActiveSubscriptions({ customerId: ids.beta });
    assert.ok(planOf(active, 'plan-revvenu-basic'), `applied: ${active.map((s) => s.plan.id)}`);
  });

  await step('realtime stayed up: the SDK logged no WebSocket error', { needs: ['init'] }, async () => {
    const ws = logged.filter((l) => /websocket/i.test(l));
    assert.deepEqual(ws, [], 'WebSocket errors (each makes the SDK drop its cache and resubscribe)');
  });
});
