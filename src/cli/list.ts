// `faultline list`: every model with its params, variants (the faithful one and planted bugs,
// each with the property it must break), scenarios and properties.

import { parseArgs } from 'node:util';
import { propertyNames } from '../core/model.ts';
import { instantiate, models } from '../verify/index.ts';

export function listCommand(argv: readonly string[]): number {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' } }, strict: true });
  const rows = models.map((def) => {
    const model = instantiate(def).model;
    return {
      name: def.name,
      summary: def.summary,
      source: def.source,
      params: def.params.map((p) => ({ name: p.name, default: p.default, min: p.min, max: p.max, description: p.description })),
      variants: def.variants.map((v) => ({ name: v.name, description: v.description, expect: v.expect, params: v.params ?? {} })),
      scenarios: (def.scenarios ?? []).map((c) => ({ name: c.name, kind: c.kind, description: c.description, params: c.params, expect: c.expect })),
      properties: propertyNames(model),
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ models: rows }, null, 2));
    return 0;
  }
  for (const m of rows) {
    console.log(`${m.name} — ${m.summary}`);
    console.log(`  source:     ${m.source}`);
    console.log(`  params:     ${m.params.map((p) => `${p.name}=${p.default} (${p.description})`).join('; ')}`);
    console.log(`  invariants: ${m.properties.invariants.join(', ')}`);
    if (m.properties.stepInvariants !== undefined) console.log(`  of steps:   ${m.properties.stepInvariants.join(', ')}`);
    console.log(`  sometimes:  ${m.properties.sometimes.join(', ')}`);
    console.log('  variants:');
    for (const v of m.variants) {
      const expect = v.expect.status === 'holds'
        ? 'expected to hold'
        : `expected to violate ${v.expect.property}${v.expect.also?.length ? ` (may also break ${v.expect.also.join(', ')})` : ''}`;
      const own = Object.entries(v.params).map(([k, x]) => `${k}=${x}`).join(' ');
      console.log(`    ${v.name.padEnd(28)} ${v.description} [${expect}${own ? `; with ${own}` : ''}]`);
    }
    if (m.scenarios.length > 0) console.log('  scenarios (check --scenario NAME):');
    for (const c of m.scenarios) {
      const expect = c.expect.status === 'holds' ? 'expected to hold' : `expected: ${c.expect.property}`;
      console.log(`    ${c.name.padEnd(28)} ${c.kind}: ${c.description} [${expect}]`);
    }
    console.log('');
  }
  return 0;
}
