// One registered row (a variant, or a safety scenario) searched as `check` searches it, on the
// object or the packed path, in a process of its own: prints one JSON line with the figures,
// the process's CPU time and its peak RSS. For the object-vs-packed figures of the models whose
// schemas are not in `npm run bench`'s comparison (README, Performance).
//
//   tsx bench/explore-row.ts MODEL ROW object|packed

import { explore } from '../src/explore/explore.ts';
import { findModel, findScenario, instantiate } from '../src/verify/index.ts';
import { AFTER_EXPECTED_MAX } from '../src/verify/check.ts';
import { InputError } from '../src/core/model.ts';

const [name, row, codec] = process.argv.slice(2);
if (name === undefined || row === undefined || (codec !== 'object' && codec !== 'packed')) {
  console.error('explore-row: usage: MODEL ROW object|packed (ROW: a variant or a safety scenario)');
  process.exit(2);
}
function rowOf(model: string, name: string) {
  try {
    const def = findModel(model);
    return { def, scenario: def.variants.some((v) => v.name === name) ? undefined : findScenario(def, name) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    console.error(`explore-row: ${e.message}`);
    return process.exit(2);
  }
}
const { def, scenario } = rowOf(name, row);
if (scenario !== undefined && scenario.kind !== 'safety') {
  console.error(`explore-row: ${row} is a ${scenario.kind} scenario (it needs the state graph: the object path only)`);
  process.exit(2);
}
const instance = scenario === undefined ? instantiate(def, row) : instantiate(def, scenario.variant, scenario.params);
const expect = scenario?.expect ?? instance.variant.expect;
const cpu = process.cpuUsage();
const r = explore(instance.model, {
  codec,
  afterExpectedMax: AFTER_EXPECTED_MAX,
  ...(expect.status === 'violation' ? { expectViolationOf: [expect.property, ...(expect.also ?? [])] } : {}),
});
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({
  model: name,
  row,
  codec,
  status: r.status,
  distinct: r.distinctStates,
  total: r.totalStates,
  depth: r.depth,
  seconds: Math.round(r.elapsedMs / 10) / 100,
  cpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
  bits: r.packed?.bits,
  bytesPerState: Math.round(r.bytesPerState * 10) / 10,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
}));
