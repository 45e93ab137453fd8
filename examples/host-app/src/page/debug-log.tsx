import { Badge, Card, EmptyState, type Tone } from '@alga/ui-kit';
import { useEffect, useState } from 'react';
import { type DebugLine, parseDebugEvent } from './api';

const KEEP = 100;

/** A line with the order it arrived in, which keys it in the list. */
type Numbered = DebugLine & { seq: number };
let arrived = 0;
const TONES: Readonly<Record<DebugLine['level'], Tone>> = {
  debug: 'neutral',
  info: 'info',
  warn: 'warning',
  error: 'danger',
};

/**
 * Tails `GET /api/ext-debug/stream?tenant=…` (server-sent events): guest stdout, stderr and
 * `ctx.log` lines of the tenant's invocations, newest first. The app adds the operator's token.
 */
export function DebugLog({ tenant }: { tenant: string }) {
  const [lines, setLines] = useState<Numbered[]>([]);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    setLines([]);
    setConnected(false);
    const source = new EventSource(`/api/ext-debug/stream?tenant=${encodeURIComponent(tenant)}`);
    source.addEventListener('ready', () => setConnected(true));
    source.addEventListener('debug', (event) => {
      const line = parseDebugEvent((event as MessageEvent<string>).data);
      if (line === undefined) return;
      arrived += 1;
      const numbered = { ...line, seq: arrived };
      setLines((previous) => [numbered, ...previous].slice(0, KEEP));
    });
    source.addEventListener('error', () => setConnected(false));
    return () => source.close();
  }, [tenant]);

  return (
    <Card title="Live debug stream" headingLevel={2}>
      <p className="debug-status">
        <Badge tone={connected ? 'success' : 'warning'}>
          {connected ? 'connected' : 'connecting'}
        </Badge>{' '}
        <code>GET /api/ext-debug/stream?tenant={tenant}</code>
      </p>
      {lines.length === 0 ? (
        <EmptyState
          title="No guest output yet"
          description="Open an extension or call its API; its log lines appear here as they happen."
          headingLevel={3}
        />
      ) : (
        <ol className="debug-lines" aria-label="Guest output, newest first">
          {lines.map((line) => (
            <li key={line.seq} className="debug-line">
              <time dateTime={new Date(line.at).toISOString()}>
                {new Date(line.at).toLocaleTimeString()}
              </time>
              <Badge tone={TONES[line.level]}>{line.level}</Badge>
              <span className="debug-ext">{line.extensionId}</span>
              <span className="debug-message">{line.message}</span>
              {line.fields === undefined ? null : (
                <code className="debug-fields">{JSON.stringify(line.fields)}</code>
              )}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
