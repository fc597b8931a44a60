// Writing what a command produces (traces, transcripts, DOT graphs, HTML): every failure is one
// line naming the file and the reason (exit 2), never a stack trace.

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, parse, resolve, sep } from 'node:path';
import { InputError } from '../core/model.ts';
import { replayTrace, traceFileName, traceToJson, type TraceFile } from '../trace/trace.ts';
import { transcriptFileName, transcriptOf } from '../trace/transcript.ts';
import { buildRegistered } from '../verify/registry.ts';

export function writeText(file: string, text: string): void {
  try {
    ensureDir(dirname(file));
    if (isDirectory(file)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    writeFileSync(file, text);
  } catch (e) {
    throw new InputError(`cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Creates a directory and its parents one level at a time. (mkdirSync's own recursive mode
 * loops forever under /proc, where mkdir answers neither EEXIST nor success.) */
function ensureDir(dir: string): void {
  const full = resolve(dir);
  let at = parse(full).root;
  for (const part of full.slice(at.length).split(sep).filter((p) => p !== '')) {
    at = at.endsWith(sep) ? at + part : at + sep + part;
    try {
      mkdirSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!isDirectory(at)) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs `write` and turns an I/O failure into its one-line message, so a command can print its
 * result first and report the failure after (nothing computed is lost). */
export function tryWrite<T>(write: () => T): { value?: T; error?: string } {
  try {
    return { value: write() };
  } catch (e) {
    if (e instanceof InputError) return { error: e.message };
    throw e;
  }
}

/** Saves traces under `dir` as <dir>/<model>/<name><suffix>, each with its text transcript
 * next to it; returns the files written. */
export function saveTraces(dir: string, traces: readonly TraceFile[], suffix = '.json'): string[] {
  return traces.map((t) => {
    const file = traceFileName(dir, t).replace(/\.json$/, suffix);
    writeText(file, traceToJson(t));
    writeText(transcriptFileName(file), transcriptOf(t, replayTrace(t, file, buildRegistered)));
    return file;
  });
}
