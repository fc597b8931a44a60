import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModel } from '../models/index.ts';
import { buildRegistered, runCheck, variantCheck } from '../src/verify/index.ts';
import {
  loadTrace,
  replayTrace,
  saveTrace,
  traceToJson,
  validateTrace,
  TraceError,
  type TraceFile,
} from '../src/trace/trace.ts';

function counterexample(): TraceFile {
  const outcome = runCheck(variantCheck(findModel('twophase'), 'commit-without-all-prepared', { rm: 2 }));
  expect(outcome.findings).toHaveLength(1);
  return outcome.findings[0].trace!;
}

const dir = mkdtempSync(join(tmpdir(), 'faultline-trace-'));

function writeTrace(name: string, data: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
}

describe('trace files', () => {
  it('round-trip: a saved counterexample loads back equal and replays to the same violation', () => {
    const trace = counterexample();
    const file = join(dir, 'roundtrip.json');
    saveTrace(file, trace);
    const loaded = loadTrace(file);
    expect(loaded).toEqual(JSON.parse(traceToJson(trace)));
    const r = replayTrace(loaded, file, buildRegistered);
    // The same violation it recorded (which RM a message names is not the claim).
    expect([r.reproduced, r.observed]).toEqual([true, `${trace.property} violated: ${trace.message}`]);
    expect(r.states).toHaveLength(trace.steps.length + 1);
  });

  it('a step whose action is no longer enabled fails naming the file, the step and what is enabled', () => {
    const trace = counterexample();
    const steps = trace.steps.map((s, i) => (i === 2 ? { ...s, action: { kind: 'TMCommit' }, state: undefined } : s));
    // Step 3 commits; make step 2 commit instead, before the TM has received Prepared.
    const tampered = { ...trace, steps: [steps[0], steps[2], ...steps.slice(3)] };
    const file = writeTrace('tampered-action.json', tampered);
    expect(() => replayTrace(loadTrace(file), file, buildRegistered)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: step 2 \\(TM -> all Commit\\): action is not enabled here; enabled: .*TM -> all Abort`),
    );
  });

  it('a recorded state that the model no longer produces is reported as stale', () => {
    const trace = counterexample();
    const steps = trace.steps.map((s, i) =>
      i === 0 ? { ...s, state: { ...(s.state as object), tmState: 'done' } } : s,
    );
    const file = writeTrace('tampered-state.json', { ...trace, steps });
    expect(() => replayTrace(loadTrace(file), file, buildRegistered)).toThrow(/step 1 \(rm1 prepare.*state differs from the recorded one \(stale trace/);
  });

  it('a trace whose property now holds replays but does not reproduce', () => {
    const original = counterexample();
    const file = writeTrace('wrong-property.json', { ...original, property: 'TPTypeOK' });
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect([r.reproduced, r.observed]).toEqual([false, `TPTypeOK holds; instead ${original.property}: ${original.message}`]);
  });

  it.each([
    ['not JSON', '{ "format": ', /not valid JSON/],
    ['wrong format tag', { format: 'other' }, /"format" must be "faultline-trace"/],
    ['future version', { format: 'faultline-trace', version: 99 }, /unsupported trace version 99/],
    [
      'missing steps',
      { format: 'faultline-trace', version: 1, model: 'twophase', variant: 'default', property: 'TCConsistent', outcome: 'violation', params: {}, init: 0 },
      /"steps" must be an array/,
    ],
    [
      'a step without a label',
      { format: 'faultline-trace', version: 1, model: 'twophase', variant: 'default', property: 'x', outcome: 'holds', params: {}, init: 0, steps: [{ action: {} }] },
      /step 1 must have a "label" string/,
    ],
  ])('a malformed trace (%s) is rejected with a message naming the file', (name, data, message) => {
    const file = writeTrace(`malformed-${name.replace(/\W+/g, '-')}.json`, data);
    expect(() => loadTrace(file)).toThrow(TraceError);
    expect(() => loadTrace(file)).toThrow(message);
    expect(() => loadTrace(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });

  it('a trace for an unknown model or variant is rejected', () => {
    const trace = counterexample();
    const f1 = writeTrace('unknown-model.json', { ...trace, model: 'nosuch' });
    expect(() => replayTrace(loadTrace(f1), f1, buildRegistered)).toThrow(/unknown model 'nosuch'/);
    const f2 = writeTrace('unknown-variant.json', { ...trace, variant: 'nosuch' });
    expect(() => replayTrace(loadTrace(f2), f2, buildRegistered)).toThrow(/has no variant 'nosuch'/);
  });

  it('validateTrace accepts exactly what saveTrace writes', () => {
    const trace = counterexample();
    expect(validateTrace(JSON.parse(traceToJson(trace)), 'x.json')).toEqual(JSON.parse(traceToJson(trace)));
  });
});
