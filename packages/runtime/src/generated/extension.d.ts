/// <reference path="./interfaces/alga-extension-config.d.ts" />
/// <reference path="./interfaces/alga-extension-context.d.ts" />
/// <reference path="./interfaces/alga-extension-handler.d.ts" />
/// <reference path="./interfaces/alga-extension-http.d.ts" />
/// <reference path="./interfaces/alga-extension-log.d.ts" />
/// <reference path="./interfaces/alga-extension-metrics.d.ts" />
/// <reference path="./interfaces/alga-extension-secrets.d.ts" />
/// <reference path="./interfaces/alga-extension-storage.d.ts" />
/// <reference path="./interfaces/alga-extension-types.d.ts" />
/// <reference path="./interfaces/alga-extension-ui-proxy.d.ts" />
declare module 'alga:extension/extension@1.0.0' {
  export type * as AlgaExtensionConfig100 from 'alga:extension/config@1.0.0'; // import alga:extension/config@1.0.0
  export type * as AlgaExtensionContext100 from 'alga:extension/context@1.0.0'; // import alga:extension/context@1.0.0
  export type * as AlgaExtensionHttp100 from 'alga:extension/http@1.0.0'; // import alga:extension/http@1.0.0
  export type * as AlgaExtensionLog100 from 'alga:extension/log@1.0.0'; // import alga:extension/log@1.0.0
  export type * as AlgaExtensionMetrics100 from 'alga:extension/metrics@1.0.0'; // import alga:extension/metrics@1.0.0
  export type * as AlgaExtensionSecrets100 from 'alga:extension/secrets@1.0.0'; // import alga:extension/secrets@1.0.0
  export type * as AlgaExtensionStorage100 from 'alga:extension/storage@1.0.0'; // import alga:extension/storage@1.0.0
  export type * as AlgaExtensionTypes100 from 'alga:extension/types@1.0.0'; // import alga:extension/types@1.0.0
  export type * as AlgaExtensionUiProxy100 from 'alga:extension/ui-proxy@1.0.0'; // import alga:extension/ui-proxy@1.0.0
  export * as handler from 'alga:extension/handler@1.0.0'; // export alga:extension/handler@1.0.0
}
