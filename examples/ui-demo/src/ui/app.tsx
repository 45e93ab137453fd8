import { BridgeError, createBridge } from '@alga/iframe-sdk';
import {
  Alert,
  Badge,
  Button,
  Card,
  createToastQueue,
  Spinner,
  ThemeProvider,
  ToastRegion,
  type Tone,
} from '@alga/ui-kit';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Summary } from '../handler';

// Runs inside the host's sandboxed iframe. It has no network access of its own (its CSP says
// connect-src 'none'): every call goes through the bridge to the host page, which calls
// /api/ext-proxy/com.example.ui-demo/... with its own session. Secrets never reach this page.
const bridge = createBridge();
const toasts = createToastQueue();
const TONES: readonly Tone[] = ['info', 'success', 'warning'];

function describe(error: unknown): string {
  return error instanceof BridgeError ? `${error.message} [${error.code}]` : String(error);
}

function Board() {
  const [summary, setSummary] = useState<Summary>();
  const [failure, setFailure] = useState<string>();
  const [recording, setRecording] = useState(false);

  const load = useCallback(async () => {
    try {
      setSummary(await bridge.callProxy<Summary>('summary', undefined, { method: 'GET' }));
      setFailure(undefined);
    } catch (error) {
      setFailure(describe(error));
    }
  }, []);

  useEffect(() => {
    void bridge.ready
      .then(() => bridge.resize('auto'))
      .then(load, (error: unknown) => {
        setFailure(describe(error));
      });
  }, [load]);

  const recordVisit = async () => {
    setRecording(true);
    try {
      const { visits } = await bridge.callProxy<{ visits: number }>('visits', {});
      setSummary((previous) => (previous === undefined ? previous : { ...previous, visits }));
      toasts.add({ title: `Visit ${visits} recorded`, tone: 'success' }, { timeout: 4000 });
    } catch (error) {
      toasts.add({
        title: 'Could not record the visit',
        description: describe(error),
        tone: 'danger',
      });
    } finally {
      setRecording(false);
    }
  };

  const tone = TONES.find((candidate) => candidate === summary?.accent) ?? 'info';
  return (
    <main>
      <Card
        title="Team board"
        actions={
          <Button onPress={recordVisit} isPending={recording} isDisabled={summary === undefined}>
            Record a visit
          </Button>
        }
      >
        {summary !== undefined ? (
          <>
            <p className="board-greeting" data-testid="greeting">
              {summary.greeting}, {summary.tenantId}!
            </p>
            <dl className="board-facts">
              <dt>Visits</dt>
              <dd>
                <Badge tone={tone}>{summary.visits}</Badge>
              </dd>
              <dt>API key</dt>
              <dd>
                {summary.secretsSet.includes('apiKey') ? (
                  <Badge tone="success">set (the value stays on the host)</Badge>
                ) : (
                  <Badge tone="warning">not set: add it in Settings</Badge>
                )}
              </dd>
            </dl>
          </>
        ) : failure !== undefined ? (
          <Alert tone="danger" title="The board could not load">
            {failure}
          </Alert>
        ) : (
          <Spinner label="Loading the board" />
        )}
      </Card>
      <ToastRegion queue={toasts} />
    </main>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <ThemeProvider bridge={bridge}>
    <Board />
  </ThemeProvider>,
);
