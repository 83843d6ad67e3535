'use strict';
// Helpers for the suites that run Stigg's server SDK: a logger that
// collects what the SDK reports (it swallows failures of the entitlement
// getters, answering a fallback and logging), and polling for what arrives
// asynchronously (realtime events).

const assert = require('node:assert/strict');

// server returns the running stiggql a suite talks to (STIGGQL_URL and
// STIGG_API_KEY, which compat/run.sh sets), or throws saying how to get
// one; what describes the server the suite needs.
function server(what = 'a running stiggql') {
  const baseUrl = (process.env.STIGGQL_URL || '').replace(/\/+$/, '');
  const apiKey = process.env.STIGG_API_KEY || '';
  if (!baseUrl || !apiKey) {
    throw new Error(`set STIGGQL_URL and STIGG_API_KEY to ${what}, or run \`bash compat/run.sh\``);
  }
  return { baseUrl, apiKey };
}

// collectingLogger returns a logConfiguration.logger that appends every
// warning and error the SDK logs to logged, as one string each.
function collectingLogger(logged) {
  const collect = (...args) => logged.push(args.map(String).join(' '));
  return { log() {}, debug() {}, info() {}, warn: collect, error: collect };
}

// waitFor polls until pred() returns a truthy value (returned) or ms have
// passed (a failed assertion naming what).
async function waitFor(what, pred, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

module.exports = { server, collectingLogger, waitFor };
