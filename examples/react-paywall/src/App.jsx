import React, { useEffect, useState } from 'react';
import {
  StiggProvider,
  Paywall,
  CustomerPortal,
  BooleanEntitlementGuard,
  MeteredEntitlementGuard,
  useStiggContext,
} from '@stigg/react-sdk';

// Settings come from the page's query string, so one build serves any
// server, key and customer:
//   ?apiKey=client-...&customerId=...&customerToken=HMAC-SHA256%20...&baseUri=http://localhost:8080
// baseUri defaults to this page's origin (the server serving the build).
// A real application gets customerId and customerToken from its own
// backend after sign-in (README: "Frontends").
const params = new URLSearchParams(window.location.search);
const settings = {
  apiKey: params.get('apiKey') || import.meta.env.VITE_STIGG_CLIENT_KEY || '',
  baseUri: params.get('baseUri') || import.meta.env.VITE_STIGG_BASE_URI || window.location.origin,
  customerId: params.get('customerId') || import.meta.env.VITE_STIGG_CUSTOMER_ID || '',
  customerToken: params.get('customerToken') || import.meta.env.VITE_STIGG_CUSTOMER_TOKEN || undefined,
  productId: params.get('productId') || 'product-revvenu',
};

function Status() {
  const { stigg, isInitialized } = useStiggContext();
  const [error, setError] = useState('');
  useEffect(() => {
    // The SDK's own calls: their error (a refused customer token, an
    // unknown customer) is what the page shows. They run before the SDK
    // reports itself initialized too, since a refused key or token keeps it
    // from ever initializing.
    let live = true;
    const report = (e) => live && setError(e && e.message ? e.message : String(e));
    stigg.getPaywall({ productId: settings.productId }).catch(report);
    stigg
      .getCustomer()
      .then(() => live && setError(''))
      .catch(report);
    return () => {
      live = false;
    };
  }, [stigg, isInitialized]);
  if (!error) return <p id="sdk-ready">{isInitialized ? 'Connected' : 'Connecting...'}</p>;
  return (
    <p id="sdk-error" role="alert" style={{ color: '#b00020' }}>
      Stigg SDK error: {error}
    </p>
  );
}

function Gates() {
  return (
    <section aria-label="gated features">
      <h2>Features</h2>
      <BooleanEntitlementGuard
        featureId="feature-custom-domain"
        noAccessComponent={<p id="custom-domain-locked">Custom domains need the Basic plan or a grant.</p>}
      >
        <p id="custom-domain">Custom domain: set up app.example.com</p>
      </BooleanEntitlementGuard>
      <MeteredEntitlementGuard
        featureId="feature-api-calls"
        requestedUsage={1}
        noAccessComponent={<p id="api-calls-locked">API call quota used up.</p>}
      >
        <p id="api-calls">API calls: you may call the API</p>
      </MeteredEntitlementGuard>
    </section>
  );
}

function Page() {
  const { stigg, refreshData } = useStiggContext();
  const [message, setMessage] = useState('');
  const onPlanSelected = async ({ plan, selectedBillingPeriod }) => {
    setMessage('');
    try {
      const res = await stigg.applySubscription({
        planId: plan.id,
        billingPeriod: selectedBillingPeriod,
      });
      setMessage(`Subscribed to ${plan.displayName} (${res.subscription.status})`);
      await refreshData();
    } catch (e) {
      setMessage(`Could not subscribe to ${plan.displayName}: ${e && e.message ? e.message : e}`);
    }
  };
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 1100, margin: '0 auto', padding: 16 }}>
      <h1>Revvenu plans</h1>
      <Status />
      {message && <p id="plan-message">{message}</p>}
      <section aria-label="paywall" id="paywall">
        <Paywall productId={settings.productId} preferredBillingPeriod="MONTHLY" onPlanSelected={onPlanSelected} />
      </section>
      <Gates />
      <section aria-label="customer portal" id="portal">
        <h2>Your subscription</h2>
        <CustomerPortal productId={settings.productId} hiddenSections={['paymentDetails', 'invoices']} />
      </section>
    </main>
  );
}

export function App() {
  if (!settings.apiKey || !settings.customerId) {
    return (
      <p id="setup">
        Open this page with <code>?apiKey=client-...&amp;customerId=...&amp;customerToken=...</code> (see the README).
      </p>
    );
  }
  return (
    <StiggProvider
      apiKey={settings.apiKey}
      baseUri={settings.baseUri}
      enableEdge={false}
      customerId={settings.customerId}
      customerToken={settings.customerToken}
    >
      <Page />
    </StiggProvider>
  );
}
