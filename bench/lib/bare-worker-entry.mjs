// Node 20 does not run a process's `--import` loaders in its workers: register tsx here, then
// load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./bare-worker-main.ts');
