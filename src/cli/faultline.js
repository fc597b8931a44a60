#!/usr/bin/env node
// Entry point of the `faultline` command. The sources are TypeScript; tsx compiles them on
// load (esbuild), so there is no build step between a clone and a run.
import { register } from 'tsx/esm/api';

register();
// `faultline list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
