'use strict';
// The official client, configured the way an application would, plus the
// list of customer operations this suite covers and a helper that turns a
// failed call into a precise report (document, variables, response).

const { StiggManagement, Types } = require('@stigg/api-client-js');
const { print } = require('graphql');

const baseUrl = (process.env.STIGGQL_URL || '').replace(/\/+$/, '');
const apiKey = process.env.STIGG_API_KEY || '';

if (!baseUrl || !apiKey) {
  throw new Error(
    'set STIGGQL_URL (e.g. http://127.0.0.1:8080) and STIGG_API_KEY to a running stiggql, ' +
      'or run `bash compat/run.sh`, which starts one',
  );
}

// @stigg/api-client-js takes the full GraphQL endpoint as `apiUrl` (default
// https://api.stigg.io/graphql) and sends the key as X-API-KEY. Any other
// option name (baseUri, baseUrl) is silently ignored and the client would
// talk to Stigg's hosted API instead.
const client = StiggManagement.createClient({ apiUrl: `${baseUrl}/graphql`, apiKey });

// Every customer-related operation the client ships: the getSdk method name
// (which is also the operation name and, with "Document", the exported
// document) and what it is for.
const OPERATIONS = [
  ['GetCustomerById', 'customer by id'],
  ['GetCustomerStatistics', 'customer statistics'],
  ['ProvisionCustomer', 'provision customer'],
  ['ImportCustomer', 'import customer'],
  ['ImportCustomerBulk', 'bulk import customers'],
  ['UpdateCustomer', 'update customer'],
  ['ArchiveCustomer', 'archive customer'],
  ['UnarchiveCustomer', 'unarchive customer'],
  ['DetachCustomerPaymentMethod', 'detach payment method'],
  ['GrantPromotionalEntitlements', 'grant promotional entitlements'],
  ['RevokePromotionalEntitlement', 'revoke a promotional entitlement'],
  ['GetActiveSubscriptions', 'active subscriptions'],
  ['GetActiveSubscriptionsList', 'active subscriptions (slim list)'],
  ['GetSubscriptions', 'subscriptions (filter, paging)'],
  ['GetSubscription', 'subscription by id'],
  ['ProvisionSubscription', 'provision subscription (provisionSubscriptionV2)'],
  ['CreateSubscription', 'create subscription'],
  ['UpdateSubscription', 'update subscription'],
  ['CancelSubscription', 'cancel subscription'],
  ['GetCoupons', 'coupons'],
  ['GetProducts', 'products'],
].map(([name, what]) => ({ name, what }));

// The document the client sends for an operation, as the generated sdk
// exports it (`Types` is the package's generated/sdk module).
function documentOf(name) {
  return Types[`${name}Document`];
}

// All operation documents the client ships, by name.
function allDocuments() {
  const out = {};
  for (const [key, value] of Object.entries(Types)) {
    if (key.endsWith('Document') && value && value.kind === 'Document') out[key.slice(0, -'Document'.length)] = value;
  }
  return out;
}

const json = (v) => JSON.stringify(v, null, 2);
const clientVersion = require('@stigg/api-client-js/package.json').version;

// The operation as sent, with the names of the fragments it spreads (the
// whole document is `print(documentOf(name))`).
function describeDocument(doc) {
  if (!doc) return '(not shipped by the client)';
  const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
  const fragments = doc.definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => d.name.value);
  return `${print(op)}${fragments.length ? `\n# fragments: ${fragments.join(', ')}` : ''}`;
}

// A client call failed: say exactly what was sent and what came back.
class CallError extends Error {
  constructor(name, variables, err) {
    const res = err && err.response;
    const lines = [`${name} failed: ${res ? `HTTP ${res.status}` : (err && err.message) || err}`];
    lines.push(`document: ${name}Document of @stigg/api-client-js ${clientVersion}:\n${describeDocument(documentOf(name))}`);
    lines.push(`variables: ${json(variables)}`);
    if (res) {
      if (res.errors) lines.push(`errors: ${json(res.errors)}`);
      if (res.data !== undefined) lines.push(`data: ${json(res.data).slice(0, 4000)}`);
      if (!res.errors && res.error) lines.push(`body: ${String(res.error).slice(0, 2000)}`);
    }
    super(lines.join('\n'));
    this.name = 'CallError';
    this.operation = name;
    this.response = res;
    this.codes = ((res && res.errors) || []).map((e) => e.extensions && e.extensions.code);
  }
}

// Calls a client method by its operation name.
async function call(name, variables) {
  if (typeof client[name] !== 'function') throw new Error(`the client has no ${name} method`);
  try {
    return await client[name](variables);
  } catch (err) {
    throw new CallError(name, variables, err);
  }
}

module.exports = { client, baseUrl, apiKey, OPERATIONS, documentOf, allDocuments, call, CallError };
