import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One example extension the demo builds and publishes. */
export interface DemoExtension {
  /** Folder under the repository root. */
  readonly dir: string;
  /** Manifest `name`. */
  readonly id: string;
  /** Bundles its iframe UI before `alga build` (`src/build-ui.ts`). */
  readonly ui: boolean;
}

/** The examples, in build order. */
export const EXTENSIONS: readonly DemoExtension[] = [
  { dir: 'examples/hello', id: 'com.example.hello', ui: false },
  { dir: 'examples/secrets-demo', id: 'com.example.secrets-demo', ui: false },
  { dir: 'examples/ui-demo', id: 'com.example.ui-demo', ui: true },
];

/** What one tenant's install of an extension gets. */
export interface DemoInstall {
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Demo placeholders, sealed by the host on install; printed nowhere. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** Two tenants with different config and secrets, so the page shows them apart. */
export const TENANTS: Readonly<Record<string, Readonly<Record<string, DemoInstall>>>> = {
  acme: {
    'com.example.hello': {},
    'com.example.secrets-demo': {
      config: { currency: 'EUR' },
      secrets: { apiKey: 'demo-acme-quotes-key' },
    },
    'com.example.ui-demo': {
      config: { greeting: 'Welcome aboard', accent: 'success' },
      secrets: { apiKey: 'demo-acme-board-key' },
    },
  },
  globex: {
    'com.example.hello': {},
    'com.example.secrets-demo': {
      config: { currency: 'USD' },
      secrets: { apiKey: 'demo-globex-quotes-key' },
    },
    'com.example.ui-demo': { config: { greeting: 'Howdy', accent: 'warning' } },
  },
};

/** The publisher the dev key signs for (the examples' manifests say `example`). */
export const PUBLISHER = 'example';
