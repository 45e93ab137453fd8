import {
  Alert,
  Badge,
  Button,
  Card,
  createSettingsHttpClient,
  EmptyState,
  ExtensionSettingsForm,
  Select,
  Spinner,
  Switch,
  Table,
  Tabs,
  ThemeProvider,
} from '@alga/ui-kit';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { HostAppState, InstallView } from '../shared';
import { loadState } from './api';
import { DebugLog } from './debug-log';
import { ExtensionFrame } from './extension-frame';

type Endpoint = InstallView['endpoints'][number];

function hasUi(install: InstallView): install is InstallView & { uiPath: string } {
  return install.uiPath !== null;
}

function SettingsPanel({
  tenant,
  install,
  onSaved,
}: {
  tenant: string;
  install: InstallView;
  onSaved: () => void;
}) {
  const client = useMemo(
    () => createSettingsHttpClient({ tenantId: tenant, extensionId: install.extensionId }),
    [tenant, install.extensionId],
  );
  if (install.settings.length === 0) {
    return (
      <EmptyState
        title="No settings"
        description="This extension declares no settings."
        headingLevel={3}
      />
    );
  }
  return (
    <ExtensionSettingsForm
      manifestSettings={install.settings}
      client={client}
      title={`${install.displayName} settings for ${tenant}`}
      onSaved={onSaved}
      onReset={onSaved}
    />
  );
}

function EndpointsPanel({ install }: { install: InstallView }) {
  return (
    <Table<Endpoint>
      label={`${install.displayName} endpoints`}
      rows={install.endpoints}
      rowKey={(row) => `${row.method} ${row.path}`}
      columns={[
        { key: 'method', title: 'Method' },
        {
          key: 'path',
          title: 'Path',
          isRowHeader: true,
          render: (row) => <code>{`/api/ext/${install.extensionId}${row.path}`}</code>,
        },
        { key: 'description', title: 'Description', render: (row) => row.description ?? '' },
      ]}
    />
  );
}

function ExtensionPanel({
  tenant,
  install,
  uiOrigin,
  mode,
}: {
  tenant: string;
  install: InstallView;
  uiOrigin: string;
  mode: 'light' | 'dark';
}) {
  // Saving settings remounts the iframe, so the extension shows the new values at once.
  const [generation, setGeneration] = useState(0);
  const [navigated, setNavigated] = useState<string>();
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  const ui = hasUi(install) ? (
    <>
      {navigated === undefined ? null : (
        <Alert tone="info" title="The extension asked to navigate">
          <code>{navigated}</code>
        </Alert>
      )}
      <ExtensionFrame
        key={generation}
        tenant={tenant}
        install={install}
        uiOrigin={uiOrigin}
        mode={mode}
        onNavigate={setNavigated}
      />
    </>
  ) : (
    <EmptyState
      title="No UI"
      description="This extension has an API only; see its endpoints."
      headingLevel={3}
    />
  );
  return (
    <Card
      title={
        <>
          {install.displayName} <Badge tone="neutral">v{install.version}</Badge>
        </>
      }
      actions={
        <Button variant="secondary" onPress={reload}>
          Reload UI
        </Button>
      }
    >
      <p className="ext-description">{install.description}</p>
      <p className="ext-meta">
        <code>{install.extensionId}</code> ·{' '}
        <code title={install.contentHash}>{install.contentHash.slice(0, 19)}…</code> · grants{' '}
        {install.grants.map((grant) => (
          <Badge key={grant} tone="info">
            {grant}
          </Badge>
        ))}
      </p>
      <Tabs
        label={`${install.displayName} views`}
        items={[
          { id: 'ui', title: 'UI', content: ui },
          {
            id: 'settings',
            title: 'Settings',
            content: <SettingsPanel tenant={tenant} install={install} onSaved={reload} />,
          },
          { id: 'endpoints', title: 'Endpoints', content: <EndpointsPanel install={install} /> },
        ]}
      />
    </Card>
  );
}

/** The demo host page: tenant switcher, installed extensions, the open one, the debug stream. */
export function App() {
  const [state, setState] = useState<HostAppState>();
  const [failure, setFailure] = useState<string>();
  const [tenant, setTenant] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [dark, setDark] = useState(false);
  const mode = dark ? 'dark' : 'light';

  useEffect(() => {
    loadState().then(
      (loaded) => {
        setState(loaded);
        setTenant((current) => current ?? loaded.tenants[0]?.id);
      },
      (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
    );
  }, []);

  const installs = state?.tenants.find((entry) => entry.id === tenant)?.installs ?? [];
  const open = installs.find((install) => install.extensionId === selected);

  return (
    <ThemeProvider theme={{ mode }}>
      <div className="app">
        <header className="app-header">
          <h1>Alga demo host</h1>
          {state === undefined ? null : (
            <Select
              label="Tenant"
              className="tenant-select"
              options={state.tenants.map((entry) => ({ value: entry.id, label: entry.id }))}
              value={tenant ?? null}
              onChange={(value) => {
                setTenant(value ?? undefined);
                setSelected(undefined);
              }}
            />
          )}
          <Switch isSelected={dark} onChange={setDark}>
            Dark theme
          </Switch>
        </header>
        {failure !== undefined ? (
          <Alert tone="danger" title="The host app did not answer">
            {failure}
          </Alert>
        ) : state === undefined ? (
          <Spinner label="Loading the host" />
        ) : (
          <div className="app-body">
            <nav className="app-nav" aria-label="Installed extensions">
              <h2>Installed for {tenant}</h2>
              {installs.length === 0 ? (
                <p>Nothing installed.</p>
              ) : (
                <ul>
                  {installs.map((install) => (
                    <li key={install.extensionId}>
                      <Button
                        variant={install.extensionId === selected ? 'primary' : 'ghost'}
                        {...(install.extensionId === selected ? { 'aria-current': 'page' } : {})}
                        onPress={() => setSelected(install.extensionId)}
                      >
                        {install.displayName}
                      </Button>
                      {hasUi(install) ? (
                        <Badge tone="info">UI</Badge>
                      ) : (
                        <Badge tone="neutral">API</Badge>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </nav>
            <main className="app-main">
              {open === undefined || tenant === undefined ? (
                <EmptyState
                  title="Pick an extension"
                  description="Its UI opens in a sandboxed iframe on another origin; its settings and endpoints are one tab away."
                  headingLevel={2}
                />
              ) : (
                <ExtensionPanel
                  tenant={tenant}
                  install={open}
                  uiOrigin={state.uiOrigin}
                  mode={mode}
                />
              )}
            </main>
            <aside className="app-debug">
              {tenant === undefined ? null : <DebugLog tenant={tenant} />}
            </aside>
          </div>
        )}
      </div>
    </ThemeProvider>
  );
}
