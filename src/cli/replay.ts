// `faultline replay`: re-runs a saved trace strictly and prints it (steps, or a sequence chart
// for actor systems, or an HTML page), or with --rewrite regenerates the text transcript next
// to every trace (etcd-raft datadriven's -rewrite). Exit codes as in main.ts: 0 reproduced;
// 1 a trace whose outcome no longer reproduces (with --rewrite also one that no longer
// replays); 2 bad input, thrown as an InputError and reported by main as one line.

import { parseArgs } from 'node:util';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildRegistered } from '../verify/index.ts';
import { InputError } from '../core/model.ts';
import { loadTrace, replayTrace, TraceError, type ReplayResult, type TraceFile } from '../trace/trace.ts';
import { transcriptFileName, transcriptOf } from '../trace/transcript.ts';
import { renderHtmlChart } from '../render/html.ts';
import type { ClientLanes } from '../core/model.ts';
import { renderSteps } from '../render/text.ts';
import { renderRunChart } from '../render/chart.ts';
import { writeText } from './files.ts';

const TRACES_DIR = 'traces';

export function replayCommand(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      chart: { type: 'boolean' },
      html: { type: 'string' },
      rewrite: { type: 'boolean' },
    },
  });
  if (values.rewrite) {
    if (values.json || values.chart || values.html !== undefined) {
      throw new InputError('replay --rewrite writes transcripts: --json, --chart and --html do not apply');
    }
    return rewrite(positionals.length === 0 ? [TRACES_DIR] : positionals);
  }
  if (positionals.length !== 1) throw new InputError('replay takes one trace file');
  const file = positionals[0];
  const trace = loadTrace(file);
  const r = replayTrace(trace, file, buildRegistered);
  if (values.html !== undefined) {
    if (resolve(values.html) === resolve(file)) throw new InputError(`--html ${values.html} would overwrite the trace it replays`);
    writeHtml(values.html, trace, r);
  }
  if (values.json) {
    console.log(JSON.stringify({ file, model: trace.model, variant: trace.variant, property: trace.property,
      outcome: trace.outcome, steps: trace.steps.length, reproduced: r.reproduced, observed: r.observed }, null, 2));
  } else {
    console.log(`${file}: ${trace.model} (${trace.variant}) ${JSON.stringify(trace.params)}, expected ${trace.outcome} of ${trace.property}`);
    if (trace.description) console.log(`  ${trace.description}`);
    const steps = trace.steps.map((s, i) => ({ label: s.label, state: r.states[i + 1] }));
    const nodeIds = r.model.nodeIds;
    if (values.chart && nodeIds === undefined) throw new InputError(`--chart needs an actor-system model; ${trace.model} is not one`);
    console.log(values.chart ? renderRunChart(r.model, r.states, trace.steps, trace.cycleStart) : renderSteps(r.states[0], steps));
    console.log(r.reproduced ? `reproduced: ${r.observed}` : `NOT reproduced: ${r.observed}`);
  }
  return r.reproduced ? 0 : 1;
}

/** replay --html FILE: the run as a self-contained page with an SVG sequence chart. */
function writeHtml(out: string, trace: TraceFile, r: ReplayResult): void {
  const nodeIds = r.model.nodeIds;
  if (nodeIds === undefined) throw new InputError(`--html needs an actor-system model; ${trace.model} is not one`);
  const page = renderHtmlChart({
    title: `${trace.model} (${trace.variant}): ${trace.outcome} of ${trace.property}`,
    subtitle: `${trace.description ?? ''} params ${JSON.stringify(trace.params)}`,
    nodeIds,
    ...(r.model.clientLanes === undefined ? {} : { clientLanes: r.model.clientLanes as ClientLanes<unknown, unknown> }),
    init: r.states[0],
    steps: trace.steps.map((s, i) => ({ label: s.label, action: s.action, state: r.states[i + 1] })),
    cycleStart: trace.cycleStart,
    outcome: `${r.reproduced ? 'reproduced' : 'NOT reproduced'}: ${r.observed}`,
  });
  writeText(out, page);
  console.error(`wrote ${out}`);
}

/** replay --rewrite: every trace is loaded first, so unreadable input (exit 2) writes nothing;
 * then each is replayed and its transcript written. A trace that no longer replays or
 * reproduces keeps its old transcript (a stale one then fails the test that compares them),
 * is reported on stderr, and makes the exit code 1. */
function rewrite(paths: readonly string[]): number {
  const files = paths.flatMap(traceFilesUnder);
  const traces = files.map((file) => ({ file, trace: loadTrace(file) }));
  let failed = 0;
  for (const { file, trace } of traces) {
    const failure = rewriteOne(file, trace);
    if (failure !== undefined) {
      console.error(`faultline: ${failure}`);
      failed++;
    }
  }
  if (failed > 0) console.error(`faultline: ${failed} of ${files.length} traces did not replay or reproduce; their transcripts were not written`);
  return failed === 0 ? 0 : 1;
}

/** Replays one trace and writes its transcript; returns why it could not, if it could not. */
function rewriteOne(file: string, trace: TraceFile): string | undefined {
  let r: ReplayResult;
  try {
    r = replayTrace(trace, file, buildRegistered);
  } catch (e) {
    if (e instanceof TraceError) return e.message;
    throw e;
  }
  if (!r.reproduced) return `${file}: NOT reproduced: ${r.observed}`;
  const out = transcriptFileName(file);
  const text = transcriptOf(trace, r);
  const before = readIfExists(out);
  writeText(out, text);
  console.log(`wrote ${out}${before === undefined ? ' (new)' : before === text ? ' (unchanged)' : ' (changed)'}`);
  return undefined;
}

/** A .json file as given, or every *.json under a directory (recursively, in sorted order so
 * the output is the same on every machine). */
function traceFilesUnder(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!isDir) {
    if (!path.endsWith('.json')) throw new InputError(`replay --rewrite takes trace files (*.json) or directories, got ${path}`);
    return [path];
  }
  const found = walk(path);
  if (found.length === 0) throw new InputError(`no trace files (*.json) under ${path}`);
  return found;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.json') ? [path] : [];
    });
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
