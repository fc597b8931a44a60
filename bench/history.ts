// How fast the linearizability checker is on a long history: a 100-operation register history
// recorded from five concurrent clients (the one properties/history.test.ts checks for its
// verdict), checked as it is (linearizable) and with an impossible final read appended
// (refuted). Prints operations, milliseconds (median of several runs after a warm-up),
// operations per second and the spec steps the search took. It asserts nothing: timings on a
// shared machine vary, so they are figures to read, not a test.
//
//   npx tsx bench/history.ts            5 timed runs per history
//   npx tsx bench/history.ts 20         20 timed runs per history
//
// Not part of `npm test` and not behind an npm script; run it with tsx as above.

import type { History, RegisterOp, RegisterResult, Verdict } from '../src/history/index.ts';
import { checkLinearizable, historyFromEvents, registerSpec } from '../src/history/index.ts';
import { recordHistory, seededSchedule } from '../properties/fixtures/histories.ts';

type Op = RegisterOp<number>;
type Res = RegisterResult<number>;

const register = registerSpec(0);
const read = { kind: 'read' } as const;
const write = (value: number): Op => ({ kind: 'write', value });
const cas = (from: number, to: number): Op => ({ kind: 'cas', from, to });


function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function measure(name: string, h: History<Op, Res>, repeats: number): void {
  let verdict: Verdict = checkLinearizable(register, h); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    verdict = checkLinearizable(register, h);
    ms.push(performance.now() - start);
  }
  const m = median(ms);
  const opsPerSecond = Math.round((h.length / m) * 1000);
  console.log(
    `${name.padEnd(34)} ${String(h.length).padStart(10)} ${m.toFixed(2).padStart(10)} ${opsPerSecond.toLocaleString('en-US').padStart(12)} ` +
      `${verdict.steps.toLocaleString('en-US').padStart(12)}  ${verdict.kind}`,
  );
}

function main(): void {
  const arg = process.argv[2];
  const repeats = arg === undefined ? 5 : Number(arg);
  if (!Number.isInteger(repeats) || repeats < 1) {
    console.error(`bench/history: the number of timed runs must be a positive integer, got '${arg}'`);
    process.exit(2);
  }
  const programs = Array.from({ length: 5 }, (_, c) =>
    Array.from({ length: 20 }, (_, i): Op => ((i + c) % 3 === 0 ? write((i * 7 + c) % 4) : (i + c) % 3 === 1 ? read : cas(i % 4, (i + 1) % 4))),
  );
  const events = recordHistory(register, programs, seededSchedule(2024, 2000));
  const good = historyFromEvents(events);
  const bad = historyFromEvents<Op, Res>([...events, { kind: 'invoke', client: 9, op: read }, { kind: 'return', client: 9, result: 42 }]);

  console.log(`node ${process.version}, median of ${repeats} timed run(s) after one warm-up\n`);
  console.log(`${'history'.padEnd(34)} ${'operations'.padStart(10)} ${'ms'.padStart(10)} ${'ops/s'.padStart(12)} ${'spec steps'.padStart(12)}  verdict`);
  measure('5 clients x 20 ops, linearizable', good, repeats);
  measure('the same + an impossible read', bad, repeats);
}

main();
