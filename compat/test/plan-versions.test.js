'use strict';
// Plan versions and migrateSubscriptionToLatest through Stigg's official
// JavaScript client (@stigg/api-client-js, unmodified) against the real
// binary.
//
// The server reads its catalog from a file at start (CATALOG_FILE; there is
// no mutation that publishes a catalog), so this file starts a server of
// its own on a throwaway SQLite database, and publishes a changed plan the
// way an operator does: stop, edit the file, start again on the same
// database. It needs the binary: `bash compat/run.sh` passes it as
// STIGGQL_BIN; without it the tests are skipped.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { StiggManagement } = require('@stigg/api-client-js');

const bin = process.env.STIGGQL_BIN || '';
const skip = bin ? false : 'STIGGQL_BIN is not set (bash compat/run.sh sets it)';
const apiKey = `server-versions-${Math.random().toString(36).slice(2)}`;
const dir = bin ? fs.mkdtempSync(path.join(os.tmpdir(), 'stiggql-versions-')) : '';
const catalogFile = path.join(dir, 'catalog.yaml');
const STEP = { timeout: 60_000, skip };

// The catalog: one plan, published first with 5 seats at 10 a month, then
// changed to 8 seats at 12.
function catalog(seats, amount) {
  return `products:
  - {refId: product-team, displayName: Team}
features:
  - {refId: feature-seats, displayName: Seats, type: NUMBER}
plans:
  - refId: plan-team
    product: product-team
    displayName: Team
    entitlements:
      - {feature: feature-seats, usageLimit: ${seats}}
    prices:
      - {billingModel: FLAT_FEE, billingPeriod: MONTHLY, amount: ${amount}, currency: USD}
`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let server = null;
let client = null;
let log = '';

// start runs the binary on the database in dir with the catalog file as it
// is now, and waits until it answers /healthz.
async function start() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  log = '';
  server = spawn(bin, [], {
    cwd: dir,
    env: {
      ...process.env, ADDR: `127.0.0.1:${port}`, DATABASE_URL: `file:${path.join(dir, 'stigg.db')}`,
      STIGG_API_KEY: apiKey, CATALOG_FILE: catalogFile, LOG_FORMAT: 'text', METRICS: 'false', STRIPE_SECRET_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (b) => { log += b; });
  server.stderr.on('data', (b) => { log += b; });
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited (${server.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) {
        client = StiggManagement.createClient({ apiUrl: `${url}/graphql`, apiKey });
        return;
      }
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not healthy after 45s:\n${log}`);
}

async function stop() {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

after(async () => {
  await stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Expects the call to fail with a GraphQL error carrying this code.
async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    const codes = ((err.response && err.response.errors) || []).map((e) => e.extensions && e.extensions.code);
    assert.ok(codes.includes(code), `expected error code ${code}, got ${JSON.stringify(err.response || String(err))}`);
    return true;
  });
}

async function seats(customerId) {
  const { entitlements } = await client.GetEntitlements({ query: { customerId } });
  const e = entitlements.find((x) => x.feature && x.feature.refId === 'feature-seats');
  assert.ok(e, `no seats entitlement for ${customerId}: ${JSON.stringify(entitlements)}`);
  return e.usageLimit;
}

async function subscription(subscriptionId) {
  const { getSubscription } = await client.GetSubscription({ input: { subscriptionId } });
  return getSubscription;
}

const migrate = (subscriptionId, subscriptionMigrationTime) =>
  client.MigrateSubscriptionToLatest({ input: { subscriptionId, subscriptionMigrationTime } });

test('a subscription on version 1 of a plan', STEP, async () => {
  fs.writeFileSync(catalogFile, catalog(5, 10));
  await start();
  for (const customerId of ['old-customer', 'new-customer']) {
    await client.ProvisionCustomer({ input: { customerId, name: customerId } });
  }
  await client.ProvisionSubscription({ input: { customerId: 'old-customer', planId: 'plan-team', subscriptionId: 'sub-old' } });
  const sub = await subscription('sub-old');
  assert.equal(sub.plan.versionNumber, 1);
  assert.equal(await seats('old-customer'), 5);
  await rejectsWith(migrate('sub-old', 'IMMEDIATE'), 'SubscriptionAlreadyOnLatestPlanError');
});

test('publishing a changed plan makes version 2; the subscription stays on version 1', STEP, async () => {
  await stop();
  fs.writeFileSync(catalogFile, catalog(8, 12));
  await start();
  const sub = await subscription('sub-old');
  assert.equal(sub.plan.versionNumber, 1);
  assert.equal(sub.prices[0].price.price.amount, 10);
  assert.equal(await seats('old-customer'), 5);

  const { paywall } = await client.GetPaywall({ input: { productId: 'product-team' } });
  assert.deepEqual(paywall.plans.map((p) => [p.refId, p.versionNumber]), [['plan-team', 2]]);

  await client.ProvisionSubscription({ input: { customerId: 'new-customer', planId: 'plan-team', subscriptionId: 'sub-new' } });
  assert.equal((await subscription('sub-new')).plan.versionNumber, 2);
  assert.equal(await seats('new-customer'), 8);
});

test('migrateSubscriptionToLatest at the end of the billing period is scheduled', STEP, async () => {
  const { migrateSubscriptionToLatest: out } = await migrate('sub-old', 'END_OF_BILLING_PERIOD');
  assert.equal(out.subscriptionId, 'sub-old');
  const sub = await subscription('sub-old');
  assert.equal(sub.plan.versionNumber, 1);
  const scheduled = sub.scheduledUpdates.filter((u) => u.subscriptionScheduleType === 'MigrateToLatest');
  assert.equal(scheduled.length, 1, JSON.stringify(sub.scheduledUpdates));
  assert.equal(scheduled[0].scheduleStatus, 'Scheduled');
  assert.equal(Date.parse(scheduled[0].scheduledExecutionTime), Date.parse(sub.currentBillingPeriodEnd));
  await rejectsWith(migrate('sub-old', 'END_OF_BILLING_PERIOD'), 'ScheduledMigrationAlreadyExistsError');
  assert.equal(await seats('old-customer'), 5);
});

test('migrateSubscriptionToLatest IMMEDIATE moves it to version 2 now', STEP, async () => {
  await migrate('sub-old', 'IMMEDIATE');
  const sub = await subscription('sub-old');
  assert.equal(sub.plan.versionNumber, 2);
  assert.equal(sub.prices[0].price.price.amount, 12);
  assert.deepEqual(sub.scheduledUpdates.filter((u) => u.subscriptionScheduleType === 'MigrateToLatest'), []);
  assert.equal(await seats('old-customer'), 8);
  await rejectsWith(migrate('sub-old', 'IMMEDIATE'), 'SubscriptionAlreadyOnLatestPlanError');
  await rejectsWith(migrate('no-such-subscription', 'IMMEDIATE'), 'SubscriptionNotFound');
});
