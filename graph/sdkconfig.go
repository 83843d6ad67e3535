package graph

import (
	"context"

	"github.com/stigg-selfhost/stiggql/graph/model"
)

// sdkConfiguration is what Stigg's SDKs read when they start (the
// sdkConfiguration query, and the edge API's server- and
// client-sdk-configuration.json). The server SDK only checks that the call
// succeeds, which proves its key; the browser SDK reads two settings:
//   - sentryDsn: where the SDK reports its own errors. Null: a self-hosted
//     server does not send its users' SDK errors anywhere (the browser SDK
//     would start Sentry with any DSN given here).
//   - isWidgetWatermarkEnabled / showWatermark: whether Stigg's widgets show
//     "Powered by Stigg". False: the widgets are not served by Stigg here.
func sdkConfiguration(ctx context.Context) (*model.SdkConfiguration, error) {
	if _, err := environmentOf(ctx, nil); err != nil {
		return nil, err
	}
	off := false
	return &model.SdkConfiguration{SentryDsn: nil, IsWidgetWatermarkEnabled: &off, ShowWatermark: &off}, nil
}
