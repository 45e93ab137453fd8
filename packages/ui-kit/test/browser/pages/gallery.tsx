import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  createToastQueue,
  Dialog,
  DialogTrigger,
  EmptyState,
  ExtensionSettingsForm,
  IconButton,
  NumberField,
  Select,
  type SettingsClient,
  type SettingsFieldSpec,
  type SettingsView,
  Spinner,
  Switch,
  Table,
  Tabs,
  TextField,
  ThemeProvider,
  ToastRegion,
} from '@alga/ui-kit';
import { useState } from 'react';
import { createRoot } from 'react-dom/client';

const mode = new URLSearchParams(window.location.search).get('mode') === 'dark' ? 'dark' : 'light';

const toasts = createToastQueue();
toasts.add({ title: 'Settings saved', tone: 'success' });
toasts.add({ title: 'Sync failed', description: 'The upstream API timed out.', tone: 'danger' });

const rows = [
  { id: 'T-3', title: 'Printer offline', priority: 2, status: 'Open' },
  { id: 'T-1', title: 'Password reset', priority: 3, status: 'Closed' },
  { id: 'T-2', title: 'VPN drops every hour', priority: 1, status: 'Pending' },
];

const settings: SettingsFieldSpec[] = [
  { key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello', required: true },
  { key: 'limit', kind: 'number', label: 'Limit', min: 1, max: 100, default: 10 },
  {
    key: 'mode',
    kind: 'select',
    label: 'Mode',
    options: [
      { value: 'a', label: 'Alpha' },
      { value: 'b', label: 'Beta' },
    ],
  },
  { key: 'enabled', kind: 'boolean', label: 'Enabled', default: true },
  { key: 'apiKey', kind: 'secret', label: 'API key', required: true },
];
const staticView: SettingsView = {
  config: { greeting: 'Hello', limit: 10, mode: 'a', enabled: true },
  secrets: { apiKey: { set: true, version: 2, updatedAt: '2030-01-01T09:30:00.000Z' } },
};
const galleryClient: SettingsClient = {
  get: async () => staticView,
  save: async () => staticView,
  reset: async () => staticView,
};

const gear = (
  <svg viewBox="0 0 16 16" width="16" height="16" fill="currentColor" aria-hidden="true">
    <path d="M8 5a3 3 0 1 0 0 6 3 3 0 0 0 0-6Zm6.5 2-1.6-.3a5 5 0 0 0-.5-1.2l.9-1.4-1.4-1.4-1.4.9a5 5 0 0 0-1.2-.5L9 1.5H7l-.3 1.6a5 5 0 0 0-1.2.5l-1.4-.9-1.4 1.4.9 1.4a5 5 0 0 0-.5 1.2L1.5 7v2l1.6.3c.1.4.3.8.5 1.2l-.9 1.4 1.4 1.4 1.4-.9c.4.2.8.4 1.2.5L7 14.5h2l.3-1.6c.4-.1.8-.3 1.2-.5l1.4.9 1.4-1.4-.9-1.4c.2-.4.4-.8.5-1.2l1.6-.3V7Z" />
  </svg>
);

function Gallery() {
  const [name, setName] = useState('Acme');
  const [count, setCount] = useState(3);
  const [choice, setChoice] = useState<string | null>('b');
  const [on, setOn] = useState(true);
  const [agree, setAgree] = useState(false);
  return (
    <main className="gallery">
      <h1>Alga UI kit</h1>
      <div className="gallery-grid">
        <Card title="Buttons">
          <div className="gallery-row">
            <Button>Primary</Button>
            <Button variant="secondary">Secondary</Button>
            <Button variant="danger">Danger</Button>
            <Button variant="ghost">Ghost</Button>
            <Button isDisabled>Disabled</Button>
            <IconButton label="Settings" icon={gear} />
          </div>
        </Card>
        <Card title="Fields">
          <TextField
            label="Company"
            value={name}
            onChange={setName}
            description="Shown on invoices."
          />
          <TextField
            label="Email"
            type="email"
            defaultValue="not-an-email"
            errorMessage="Enter an email address such as ops@acme.test."
          />
          <NumberField label="Seats" value={count} onChange={setCount} minValue={1} maxValue={50} />
          <Select
            label="Plan"
            value={choice}
            onChange={setChoice}
            options={[
              { value: 'a', label: 'Starter' },
              { value: 'b', label: 'Business' },
              { value: 'c', label: 'Enterprise' },
            ]}
          />
          <div className="gallery-row">
            <Switch isSelected={on} onChange={setOn}>
              Notifications
            </Switch>
            <Checkbox isSelected={agree} onChange={setAgree}>
              I agree
            </Checkbox>
          </div>
        </Card>
        <Card title="Status">
          <Alert tone="info" title="Heads up">
            A new version is available.
          </Alert>
          <Alert tone="success">Connected to the upstream API.</Alert>
          <Alert tone="warning">Your token expires in 3 days.</Alert>
          <Alert tone="danger" title="Sync failed">
            Check the API key.
          </Alert>
          <div className="gallery-row">
            <Badge>Neutral</Badge>
            <Badge tone="info">Info</Badge>
            <Badge tone="success">Active</Badge>
            <Badge tone="warning">Expiring</Badge>
            <Badge tone="danger">Failed</Badge>
            <Spinner label="Loading tickets" />
          </div>
        </Card>
        <Card title="Dialog and tabs">
          <DialogTrigger>
            <Button variant="secondary">Open dialog</Button>
            <Dialog title="Delete ticket?" role="alertdialog">
              {(close) => (
                <>
                  <p>This cannot be undone.</p>
                  <div className="alga-dialog-actions">
                    <Button variant="secondary" onPress={close}>
                      Cancel
                    </Button>
                    <Button variant="danger" onPress={close}>
                      Delete
                    </Button>
                  </div>
                </>
              )}
            </Dialog>
          </DialogTrigger>
          <Tabs
            label="Ticket views"
            items={[
              { id: 'open', title: 'Open', content: <p>3 open tickets.</p> },
              { id: 'mine', title: 'Mine', content: <p>1 ticket assigned to you.</p> },
              { id: 'all', title: 'All', content: <p>12 tickets.</p> },
            ]}
          />
        </Card>
        <Card title="Table" className="gallery-wide">
          <Table
            label="Tickets"
            rows={rows}
            rowKey={(row) => row.id}
            defaultSort={{ column: 'id', direction: 'ascending' }}
            columns={[
              { key: 'id', title: 'ID', sortable: true },
              { key: 'title', title: 'Title', sortable: true, isRowHeader: true },
              { key: 'priority', title: 'Priority', sortable: true, align: 'end' },
              {
                key: 'status',
                title: 'Status',
                render: (row) => (
                  <Badge tone={row.status === 'Open' ? 'info' : 'neutral'}>{row.status}</Badge>
                ),
              },
            ]}
          />
          <EmptyState
            title="No archived tickets"
            description="Closed tickets move here after 30 days."
            icon={
              <svg
                viewBox="0 0 24 24"
                width="32"
                height="32"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.5"
                aria-hidden="true"
              >
                <path d="M3 7h6l2 2h10v10H3z" />
              </svg>
            }
            action={<Button variant="secondary">Learn more</Button>}
          />
        </Card>
        <Card title="Extension settings" className="gallery-wide">
          <ExtensionSettingsForm
            manifestSettings={settings}
            client={galleryClient}
            title="Hello extension"
          />
        </Card>
      </div>
      <ToastRegion queue={toasts} />
    </main>
  );
}

const style = document.createElement('style');
style.textContent = `
  body { margin: 0; background: var(--alga-color-background); }
  .gallery { padding: var(--alga-space-xl); max-width: 1100px; }
  .gallery h1 { margin: 0 0 var(--alga-space-lg); font-family: var(--alga-font-heading); }
  .gallery-grid { display: grid; grid-template-columns: 1fr 1fr; gap: var(--alga-space-lg); }
  .gallery-wide { grid-column: 1 / -1; }
  .gallery-row { display: flex; flex-wrap: wrap; gap: var(--alga-space-sm); align-items: center; margin-bottom: var(--alga-space-md); }
`;
document.head.append(style);
const root = document.getElementById('root') as HTMLElement;
createRoot(root).render(
  <ThemeProvider theme={{ mode }}>
    <Gallery />
  </ThemeProvider>,
);
