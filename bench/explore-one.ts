// One search of `npm run bench`'s comparison, in a process of its own so that its peak RSS is
// its own: prints one JSON line with the search's figures and the process's peak RSS.
//
//   tsx bench/explore-one.ts CONFIG object|packed [--symmetry] [--workers N]

import { explore } from '../src/explore/explore.ts';
import { comparisonConfigs } from './configs.ts';

const configsModule = new URL('./configs.ts', import.meta.url).href;

const [name, codec, ...rest] = process.argv.slice(2);
const config = comparisonConfigs.find((c) => c.name === name);
if (config === undefined || (codec !== 'object' && codec !== 'packed')) {
  console.error(`explore-one: usage: CONFIG object|packed [--symmetry] (configs: ${comparisonConfigs.map((c) => c.name).join(', ')})`);
  process.exit(2);
}
const symmetry = rest.includes('--symmetry');
const workersAt = rest.indexOf('--workers');
const workers = workersAt < 0 ? 1 : Number(rest[workersAt + 1]);
const cpu = process.cpuUsage();
const r = explore(config.build(), {
  codec,
  ...(symmetry ? { symmetry: true } : {}),
  ...(workers > 1 ? { workers, modelSource: { module: configsModule, name: 'buildConfig', args: [name] } } : {}),
});
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({
  status: r.status,
  distinct: r.distinctStates,
  total: r.totalStates,
  depth: r.depth,
  elapsedMs: r.elapsedMs,
  // The process's CPU time, worker threads included.
  cpuMs: (used.user + used.system) / 1000,
  statesPerSecond: r.statesPerSecond,
  bytesPerState: r.bytesPerState,
  bits: r.packed?.bits,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
}));
