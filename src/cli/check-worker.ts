// A worker process of `check --all --jobs N` (see parallel.ts): it checks the rows it is sent,
// one at a time, and sends each outcome back. Ctrl-C (the terminal sends it to the whole process
// group) or the parent's `interrupt` message stops the row in progress as `bounded`
// (interrupted), exactly as in a sequential run; the parent prints the one "interrupted" line.

import type { ModelError, Progress } from '../explore/traverse.ts';
import { checksOf, findModel, runCheckAsync, type Outcome } from '../verify/index.ts';
import type { FromWorker, ToWorker, WireOutcome } from './parallel.ts';

const interrupt = { aborted: false };

process.on('SIGINT', () => {
  interrupt.aborted = true;
});
// The parent is gone (it exited, or was killed): nobody is waiting for this row.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ToWorker) => {
  if (message.kind === 'interrupt') interrupt.aborted = true;
  else void runRow(message);
});

async function runRow(job: Extract<ToWorker, { kind: 'run' }>): Promise<void> {
  let reply: FromWorker;
  // A SIGINT sent to this worker alone stopped one row; the next starts afresh. (When the user
  // stops the whole run, the parent hands out no more rows, and sends `interrupt` after any row
  // it handed out before it saw the signal.)
  interrupt.aborted = false;
  try {
    const check = checksOf(findModel(job.model))[job.index];
    if (check === undefined || check.row.name !== job.rowName) {
      throw new Error(`row ${job.index} of ${job.model} is not ${job.rowName} in this process (registry differs)`);
    }
    const onProgress = (progress: Progress) => send({ kind: 'progress', id: job.id, progress });
    const outcome = await runCheckAsync(check, { ...job.options, signal: interrupt, ...(job.progress ? { onProgress } : {}) });
    reply = { kind: 'done', id: job.id, outcome: toWire(outcome) };
  } catch (e) {
    reply = { kind: 'failed', id: job.id, message: (e as Error).message ?? String(e) };
  }
  send(reply);
}

/** Sends a reply; a result that cannot be copied to the parent becomes that row's error. */
function send(reply: FromWorker): void {
  if (!process.connected) return;
  try {
    process.send!(reply);
  } catch (e) {
    process.send!({ kind: 'failed', id: reply.id, message: `cannot send the result to the parent process (${(e as Error).message})` });
  }
}

/** An outcome without its check (the parent has it) and with the model's error as plain data:
 * structured clone keeps an Error's message but not ModelError's fields. */
function toWire(o: Outcome): WireOutcome {
  const { check: _check, result, ...rest } = o;
  if (result.kind !== 'error') return { ...rest, result };
  const e: ModelError = result.error;
  return { ...rest, result: { kind: 'error', message: e.message, run: e.run, failingAction: e.failingAction } };
}
