import { describe, expect, it } from 'vitest';
import { followLogs, formatLogEvent, type GuestLogEvent } from '../src/commands/logs';
import { terminalSafe } from '../src/internal/terminal';

const hostile: GuestLogEvent = {
  at: Date.UTC(2026, 10, 24, 12, 0, 0),
  requestId: 'r-1',
  tenantId: 'acme',
  extensionId: 'com.example.hello',
  version: '1.0.0',
  stream: 'stdout',
  level: 'info',
  // A forged second line, a clipboard write (OSC 52), a C1 CSI and a carriage return.
  message:
    'done\n2026-11-24T12:00:00.000Z  globex  com.example.bank@1.0.0  r-2  info  paid\u001b]52;c;ZXZpbA==\u0007\u009b2J\rtab\there',
  fields: { note: 'x\u001b[31my' },
};

/** The control characters (tab aside) left in `text`. */
const controlsIn = (text: string) =>
  [...text].filter((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && char !== '\t') || (code >= 0x7f && code <= 0x9f);
  });

describe('alga logs output', () => {
  it('prints each event on one line with the guest control characters escaped', () => {
    const line = formatLogEvent(hostile);
    expect(line).toBe(
      '2026-11-24T12:00:00.000Z  acme  com.example.hello@1.0.0  r-1  stdout  done\\n2026-11-24T12:00:00.000Z  globex  com.example.bank@1.0.0  r-2  info  paid\\u001b]52;c;ZXZpbA==\\u0007\\u009b2J\\rtab\there {"note":"x\\u001b[31my"}',
    );
    expect(controlsIn(line)).toEqual([]);
  });

  it('keeps a JSON line the same JSON', () => {
    const line = terminalSafe(JSON.stringify(hostile));
    expect(controlsIn(line)).toEqual([]);
    expect(JSON.parse(line)).toEqual(hostile);
  });

  it('does not connect when its signal has already stopped it', async () => {
    const stop = new AbortController();
    stop.abort();
    const events: GuestLogEvent[] = [];
    // Nothing listens on port 9: a connection attempt would fail with REMOTE.
    await expect(
      followLogs(
        {},
        { host: 'http://127.0.0.1:9', token: 'unused-token-0123456789' },
        { signal: stop.signal, onEvent: (event) => events.push(event) },
      ),
    ).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });
});
