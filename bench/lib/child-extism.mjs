// The Extism side of the peer bench, in a plain Node process: tsx's source-map support breaks
// Extism's worker (its data: URL worker names a relative source map that cannot resolve).
// The parent sends {mode, fn, input, samples, warmup}; the answer holds the per-call times in
// milliseconds, measured here around each `plugin.call`.
import { readFile } from 'node:fs/promises';
import createPlugin from '@extism/extism';
import wabt from 'wabt';

const wat = await readFile(new URL('../fixtures/extism/plugin.wat', import.meta.url), 'utf8');
const module = (await wabt()).parseWat('plugin.wat', wat);
module.validate();
const { buffer } = module.toBinary({});
module.destroy();

const plugins = {
  worker: await createPlugin({ wasm: [{ data: buffer }] }, { useWasi: false, runInWorker: true }),
  thread: await createPlugin({ wasm: [{ data: buffer }] }, { useWasi: false, runInWorker: false }),
};

process.on('message', async ({ mode, fn, input, samples, warmup }) => {
  const plugin = plugins[mode];
  const bytes = new TextEncoder().encode(input);
  const expected = fn === 'noop' ? 'ok' : input;
  const times = [];
  for (let i = 0; i < warmup + samples; i++) {
    const started = performance.now();
    const output = await plugin.call(fn, bytes);
    const elapsed = performance.now() - started;
    if (output?.text() !== expected) {
      process.send({ error: `extism ${mode} ${fn} answered something else` });
      return;
    }
    if (i >= warmup) times.push(elapsed);
  }
  process.send({ times });
});

process.on('disconnect', async () => {
  await plugins.worker.close();
  await plugins.thread.close();
  process.exit(0);
});
process.send({ type: 'ready' });
