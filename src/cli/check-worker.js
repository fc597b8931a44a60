// Entry point of a `check --all --jobs N` worker process (see parallel.ts and check-worker.ts):
// like faultline.js, it has tsx compile the TypeScript sources on load.
import { register } from 'tsx/esm/api';

register();
await import('./check-worker.ts');
