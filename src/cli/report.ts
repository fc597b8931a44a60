// Text and JSON reports of `faultline check`: one check in full, the check --all table.

import { renderSteps } from '../render/text.ts';
import { renderRunChart } from '../render/chart.ts';
import type { Outcome } from '../verify/check.ts';

const fmt = new Intl.NumberFormat('en-US');

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) + ' s';
}

function paramText(params: Readonly<Record<string, number>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

function rowText(o: Outcome): string {
  return o.check.row.kind === 'scenario' ? `--scenario ${o.check.row.name}` : `--variant ${o.check.row.name}`;
}

/** The full report of one check, with the counterexample when there is one. */
export function renderCheck(o: Outcome, chart = false): string {
  const s = o.summary;
  const r = o.result;
  const lines: string[] = [];
  const how = r.kind === 'safety' ? r.explore.strategy : o.check.kind;
  lines.push(`faultline check ${o.check.instance.def.name} ${rowText(o)} ${paramText(o.check.instance.params)} (${how})`);
  lines.push(`  result:     ${o.verdict}`);
  if (s.status === 'bounded') {
    lines.push(`              the search was cut by ${s.boundsHit.join(', ')}: states beyond it were not checked`);
  }
  lines.push(`  states:     ${fmt.format(s.distinctStates)} distinct, ${fmt.format(s.totalStates)} total, depth ${s.depth}`);
  const memory = r.kind === 'safety' && r.explore.distinctStates > 0
    ? `, ${r.explore.bytesPerState.toFixed(1)} bytes/state stored, ${fmt.format(Math.round(r.explore.processBytesPerState))} bytes/state in the process`
    : '';
  lines.push(`  time:       ${seconds(s.elapsedMs)}, ${fmt.format(s.statesPerSecond)} distinct states/s${memory}`);
  const collision = (s.distinctStates * s.distinctStates) / 2 ** 65;
  if (collision > 1e-12) lines.push(`  fingerprint collision probability (optimistic): ${collision.toExponential(1)}`);
  if (r.kind === 'safety') {
    for (const w of r.explore.witnesses) {
      lines.push(`  sometimes:  ${w.name}: ${w.reached ? `reached at depth ${w.depth}` : 'NEVER reached'}`);
    }
  }
  if (r.kind === 'liveness') lines.push(`  fairness:   ${r.liveness.fairness}`);
  if (r.kind === 'error' && r.error.run !== undefined) {
    lines.push('  the state being expanded was reached by:', renderSteps(r.error.run.init, r.error.run.steps, '    '));
  }
  const nodeIds = o.check.instance.model.nodeIds;
  for (const v of o.findings) {
    lines.push('');
    const title = v.kind === 'deadlock' ? 'Deadlock'
      : v.kind === 'liveness' ? (v.property === 'stuck' ? 'Stuck' : 'Livelock')
      : v.kind === 'refinement' ? 'Refinement fails'
      : `Invariant ${v.property} violated`;
    lines.push(`  ${title} after ${v.steps} steps: ${v.message}`);
    if (v.cycleStart !== undefined) lines.push(`    (the cycle starts after step ${v.cycleStart} and returns to that state)`);
    const drawn = chart ? renderRunChart(o.check.instance.model, [v.run.init, ...v.run.steps.map((s) => s.state)], v.run.steps, v.cycleStart) : undefined;
    lines.push(drawn ?? renderSteps(v.run.init, v.run.steps, '    '));
  }
  return lines.join('\n');
}

/** Columns of the check --all table; params come last, as they vary most in length. */
const COLUMNS = [
  { title: 'model', width: 15, right: false },
  { title: 'variant / scenario', width: 50, right: false },
  { title: 'expected', width: 30, right: false },
  { title: 'distinct', width: 11, right: true },
  { title: 'total', width: 12, right: true },
  { title: 'depth', width: 5, right: true },
  { title: 'time', width: 8, right: true },
  { title: 'result', width: 96, right: false },
  { title: 'params', width: 0, right: false },
] as const;

/** Summary table rows for check --all. */
export function renderSummary(outcomes: readonly Outcome[], header = true): string {
  const rows = outcomes.map((o) => [
    o.check.instance.def.name,
    o.check.row.kind === 'scenario' ? `${o.check.kind}: ${o.check.row.name}` : o.check.row.name,
    o.check.expect.status === 'holds' ? 'holds' : `violates ${o.check.expect.property}`,
    fmt.format(o.summary.distinctStates),
    fmt.format(o.summary.totalStates),
    String(o.summary.depth),
    seconds(o.summary.elapsedMs),
    `${o.matchesExpected ? 'ok  ' : 'FAIL'} ${o.verdict}`,
    paramText(o.check.instance.params),
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
export function outcomeJson(o: Outcome): Record<string, unknown> {
  const s = o.summary;
  const r = o.result;
  return {
    model: o.check.instance.def.name,
    variant: o.check.instance.variant.name,
    ...(o.check.row.kind === 'scenario' ? { scenario: o.check.row.name } : {}),
    kind: o.check.kind,
    params: o.check.instance.params,
    ...(r.kind === 'safety' ? { strategy: r.explore.strategy } : {}),
    status: s.status,
    boundsHit: s.boundsHit,
    expected: o.check.expect,
    matchesExpected: o.matchesExpected,
    verdict: o.verdict,
    distinctStates: s.distinctStates,
    totalStates: s.totalStates,
    depth: s.depth,
    elapsedMs: Math.round(s.elapsedMs * 10) / 10,
    statesPerSecond: s.statesPerSecond,
    ...(r.kind === 'safety'
      ? {
          ...(r.explore.symmetry === undefined ? {} : { symmetry: r.explore.symmetry }),
          bytesPerState: Math.round(r.explore.bytesPerState * 10) / 10,
          processBytesPerState: Math.round(r.explore.processBytesPerState),
          collisionProbability: r.explore.collisionProbability,
          witnesses: r.explore.witnesses.map((w) => ({ name: w.name, reached: w.reached, depth: w.depth ?? null })),
        }
      : {}),
    ...(r.kind === 'liveness' ? { stuckStates: r.liveness.stuckStates, livelocks: r.liveness.livelocks, fairness: r.liveness.fairness } : {}),
    ...(r.kind === 'refinement' ? { stepsChecked: r.refinement.stepsChecked, stutters: r.refinement.stutters } : {}),
    ...(r.kind === 'error' ? { error: r.error.message } : {}),
    violations: o.findings.map((v) => ({ property: v.property, kind: v.kind, message: v.message, steps: v.steps, trace: v.trace })),
  };
}
