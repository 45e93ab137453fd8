import { createBridge } from '@alga/iframe-sdk';

// Runs inside the host's sandboxed iframe: connect to the host page, then call this
// extension's own handler through the host's UI proxy (the iframe never sees secrets).
const bridge = createBridge();
const greeting = document.getElementById('greeting');

async function main(): Promise<void> {
  await bridge.ready;
  await bridge.resize('auto');
  const answer = await bridge.callProxy<{ message: string }>('/hello', undefined, {
    method: 'GET',
  });
  if (greeting) greeting.textContent = answer.message;
}

main().catch((err: unknown) => {
  if (greeting) greeting.textContent = `Could not reach the host: ${(err as Error).message}`;
});
