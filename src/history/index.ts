// Checking recorded histories of a concurrent object: linearizability (WGL search with
// memoisation, per key where the spec partitions) and sequential consistency.

export type {
  CheckOptions,
  CompletedOperation,
  History,
  HistoryEvent,
  Operation,
  OperationBase,
  PendingOperation,
  SequentialSpec,
  Verdict,
  VerdictOk,
  VerdictUnknown,
  VerdictViolation,
} from './history.ts';
export { assertWellFormed, describeOperation, historyFromEvents, STEPS_MAX_DEFAULT, STEPS_PER_OPERATION_DEFAULT } from './history.ts';
export { checkLinearizable } from './linearizability.ts';
export { checkSequentiallyConsistent } from './sequential.ts';
export type {
  Ack,
  CounterOp,
  CounterResult,
  KeyedRegisterOp,
  KvOp,
  KvResult,
  KvState,
  QueueOp,
  QueueResult,
  RegisterOp,
  RegisterResult,
} from './specs.ts';
export { counterSpec, keyedRegisterSpec, kvSpec, queueSpec, registerSpec } from './specs.ts';
export { linearizableHistory, sequentiallyConsistentHistory, MEMO_MAX_DEFAULT, type HistoryInvariantOptions } from './invariant.ts';
export { VerdictMemo } from './verdict-memo.ts';
