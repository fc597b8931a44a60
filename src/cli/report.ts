// Text and JSON reports of `faultline check`.

import { renderSteps } from '../render/text.ts';
import { renderChart } from '../render/chart.ts';
import type { CheckOutcome } from './check.ts';

const fmt = new Intl.NumberFormat('en-US');

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) + ' s';
}

function paramText(params: Readonly<Record<string, number>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** The full report of one check, with the counterexample when there is one. */
export function renderCheck(o: CheckOutcome, chart = false): string {
  const r = o.result;
  const lines: string[] = [];
  const what = o.variant.startsWith('scenario:') ? `--scenario ${o.variant.slice('scenario:'.length)}` : `--variant ${o.variant}`;
  lines.push(`faultline check ${o.model} ${what} ${paramText(o.params)} (${r.strategy})`);
  lines.push(`  result:     ${o.verdict}`);
  if (r.status === 'bounded') {
    lines.push(`              the search was cut by ${r.boundsHit.join(', ')}: states beyond it were not checked`);
  }
  lines.push(`  states:     ${fmt.format(r.distinctStates)} distinct, ${fmt.format(r.totalStates)} total${r.depth > 0 ? `, depth ${r.depth}` : ''}`);
  lines.push(
    `  time:       ${seconds(r.elapsedMs)}, ${fmt.format(r.statesPerSecond)} distinct states/s` +
      (r.bytesPerState > 0 ? `, ${r.bytesPerState.toFixed(1)} bytes/state stored` : ''),
  );
  if (r.collisionProbability > 1e-12) {
    lines.push(`  fingerprint collision probability (optimistic): ${r.collisionProbability.toExponential(1)}`);
  }
  for (const w of r.witnesses) {
    lines.push(`  sometimes:  ${w.name}: ${w.reached ? `reached at depth ${w.depth}` : 'NEVER reached'}`);
  }
  for (const v of r.violations) {
    lines.push('');
    const title = v.kind === 'deadlock' ? 'Deadlock'
      : v.kind === 'liveness' ? (v.property === 'stuck' ? 'Stuck' : 'Livelock')
      : v.kind === 'refinement' ? 'Refinement fails'
      : `Invariant ${v.property} violated`;
    lines.push(`  ${title} after ${v.steps} steps: ${v.message}`);
    if (v.cycleStart !== undefined) lines.push(`    (the cycle starts after step ${v.cycleStart} and returns to that state)`);
    const asChart = chart && o.nodeIds !== undefined;
    lines.push(asChart ? renderChart(o.nodeIds!, v.run.steps, v.cycleStart) : renderSteps(v.run.init, v.run.steps, '    '));
  }
  return lines.join('\n');
}

/** Columns of the check --all table; params come last, as they vary most in length. */
const COLUMNS = [
  { title: 'model', width: 12, right: false },
  { title: 'variant / scenario', width: 40, right: false },
  { title: 'expected', width: 30, right: false },
  { title: 'distinct', width: 11, right: true },
  { title: 'total', width: 12, right: true },
  { title: 'depth', width: 5, right: true },
  { title: 'time', width: 8, right: true },
  { title: 'result', width: 52, right: false },
  { title: 'params', width: 0, right: false },
] as const;

/** Summary table rows for check --all. */
export function renderSummary(outcomes: readonly CheckOutcome[], header = true): string {
  const rows = outcomes.map((o) => [
    o.model,
    o.variant,
    o.expect.status === 'holds' ? 'holds' : `violates ${o.expect.property}`,
    fmt.format(o.result.distinctStates),
    fmt.format(o.result.totalStates),
    o.result.depth === 0 ? '-' : String(o.result.depth),
    seconds(o.result.elapsedMs),
    `${o.matchesExpected ? 'ok  ' : 'FAIL'} ${o.verdict}`,
    paramText(o.params),
  ]);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const { width, right } = COLUMNS[i];
        return width === 0 ? c : right ? c.padStart(width) : c.padEnd(width);
      })
      .join(' ')
      .trimEnd();
  const out = rows.map(line);
  if (header) out.unshift(line(COLUMNS.map((c) => c.title)));
  return out.join('\n');
}

/** The JSON form of one check, as printed by --json. */
export function outcomeJson(o: CheckOutcome): Record<string, unknown> {
  const r = o.result;
  return {
    model: o.model,
    variant: o.variant,
    params: o.params,
    strategy: r.strategy,
    status: r.status,
    boundsHit: r.boundsHit,
    expected: o.expect,
    matchesExpected: o.matchesExpected,
    verdict: o.verdict,
    distinctStates: r.distinctStates,
    totalStates: r.totalStates,
    depth: r.depth,
    elapsedMs: Math.round(r.elapsedMs * 10) / 10,
    statesPerSecond: r.statesPerSecond,
    bytesPerState: Math.round(r.bytesPerState * 10) / 10,
    collisionProbability: r.collisionProbability,
    violations: r.violations.map((v, i) => ({
      property: v.property,
      kind: v.kind,
      message: v.message,
      steps: v.steps,
      trace: o.traces[i],
    })),
    witnesses: r.witnesses.map((w) => ({ name: w.name, reached: w.reached, depth: w.depth ?? null })),
  };
}
