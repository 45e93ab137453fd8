import {
  createSettingsHttpClient,
  ExtensionSettingsForm,
  type SettingsFieldSpec,
  ThemeProvider,
} from '@alga/ui-kit';
import { createRoot } from 'react-dom/client';

/** What the test inlines into the page; without `adminToken` the client sends no credentials. */
interface SettingsPageConfig {
  tenantId: string;
  extensionId: string;
  settings: SettingsFieldSpec[];
  adminToken?: string;
}

const config = (window as unknown as { settingsPage: SettingsPageConfig }).settingsPage;
const { adminToken } = config;
const client = createSettingsHttpClient({
  tenantId: config.tenantId,
  extensionId: config.extensionId,
  headers: (): Record<string, string> =>
    adminToken === undefined ? {} : { authorization: `Bearer ${adminToken}` },
});
const saved: unknown[] = [];
(window as unknown as { saved: unknown[] }).saved = saved;

createRoot(document.getElementById('root') as HTMLElement).render(
  <ThemeProvider>
    <main>
      <ExtensionSettingsForm
        manifestSettings={config.settings}
        client={client}
        title="Hello settings"
        onSaved={(view) => saved.push(view)}
        formatDate={(iso) => iso}
      />
    </main>
  </ThemeProvider>,
);
