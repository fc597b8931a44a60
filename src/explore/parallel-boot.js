// Entry point of a worker thread of a parallel search (explore/parallel.ts): the sources are
// TypeScript, so the thread registers tsx before loading the worker, as src/cli/faultline.js
// does for the command.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');
