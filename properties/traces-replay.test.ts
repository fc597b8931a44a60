// Every trace saved under traces/ is a regression test: it must still replay step for step and
// reproduce its recorded outcome.

import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findModel } from '../models/index.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';

const root = join(import.meta.dirname, '..', 'traces');

function traceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return traceFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

const files = traceFiles(root);

describe('saved traces replay', () => {
  it('there are saved traces to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s reproduces its recorded outcome', (_name, file) => {
    const trace = loadTrace(file);
    const r = replayTrace(trace, file, findModel);
    expect(r.observed).toBeTruthy();
    expect(r.reproduced, r.observed).toBe(true);
  });
});
