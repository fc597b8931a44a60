// One campaign against a real cluster: start it, run the workload with the nemesis, heal and wait
// for recovery, run the final reads, stop the cluster, check the history. The systems
// (etcd-campaign.ts, zookeeper-campaign.ts) supply the cluster, the workload and the checks.

import type { Verdict } from '../history/index.ts';
import { describeFault, type FaultEpisode, type FaultKind, type FaultTarget, Nemesis, nemesisSchedule } from './nemesis.ts';
import { HistoryRecorder, type RecordedOperation } from './recorder.ts';
import { drive, type Workload } from './workload.ts';

export const SYSTEMS = ['etcd', 'zookeeper'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface CampaignOptions {
  readonly system: SystemName;
  readonly workload: string;
  readonly seed: number;
  readonly timeMs: number;
  readonly nemesis: readonly FaultKind[];
  readonly nodes: number;
  readonly workers: number;
  readonly opsMax?: number;
  readonly opTimeoutMs: number;
  readonly faultsMax?: number;
  /** Nemesis fault durations (default 2–4 s). */
  readonly faultMinMs?: number;
  readonly faultMaxMs?: number;
  readonly basePort?: number;
  /** etcd: how reads are served (default linearizable). */
  readonly reads?: 'linearizable' | 'serializable';
  /** Progress lines go here (default: nowhere). */
  readonly log?: (line: string) => void;
}

/** Process numbers of the final reads (Jepsen's), apart from every worker's. */
export const FINAL_PROCESS = 1_000_000;

/** A verdict on (part of) the history. `anomaly` names recorder operation ids: the operations
 * that could not be placed; `context` the ones just before them in the longest legal prefix.
 * `promised: false` marks a property the system does not promise (etcd's serializable reads,
 * ZooKeeper's plain reads): checked and shown, but a violation of it is not a bug. */
export interface CheckOutcome {
  readonly name: string;
  readonly promised?: false;
  readonly kind: Verdict['kind'];
  readonly explanation?: string;
  readonly operations: number;
  readonly ms: number;
  readonly steps?: number;
  readonly anomaly: readonly number[];
  readonly context: readonly number[];
}

export interface CampaignReport {
  readonly options: Omit<CampaignOptions, 'log'>;
  readonly nodes: readonly string[];
  readonly operations: readonly RecordedOperation<unknown, unknown>[];
  readonly faults: readonly FaultEpisode[];
  /** Faults of the schedule never injected because the workload ended first (opsMax, or a
   * fault due in the last moments of the run). */
  readonly faultsSkipped: number;
  readonly checks: readonly CheckOutcome[];
  readonly durations: { readonly startMs: number; readonly runMs: number; readonly recoverMs: number; readonly finalMs: number; readonly checkMs: number; readonly totalMs: number };
  /** Describe an operation for the timeline. */
  readonly describe: (op: RecordedOperation<unknown, unknown>) => string;
}

export interface RecoverableCluster extends FaultTarget {
  recover(): Promise<void>;
  /** Stops every process; `removeData: false` keeps the data directories and logs (after a
   * failure whose message names a log). */
  stop(removeData?: boolean): Promise<void>;
}

export interface CampaignPlan<Op, Res> {
  readonly cluster: RecoverableCluster;
  readonly workload: Workload<Op, Res>;
  /** Before the workload (e.g. initial values), on a healthy cluster. */
  setup(): Promise<void>;
  /** After recovery: reads recorded into the history (Jepsen's final reads). */
  final(recorder: HistoryRecorder<Op, Res>): Promise<void>;
  /** Checks over the whole recording, run after the cluster is stopped. */
  check(recorder: HistoryRecorder<Op, Res>): CheckOutcome[];
  readonly describe: (op: Op, result?: Res) => string;
}

/** Runs a plan; the cluster is stopped whatever happens. */
export async function runCampaign<Op, Res>(options: CampaignOptions, startedAt: number, plan: CampaignPlan<Op, Res>): Promise<CampaignReport> {
  const log = options.log ?? (() => undefined);
  const startMs = performance.now() - startedAt;
  const recorder = new HistoryRecorder<Op, Res>();
  let runMs = 0;
  let recoverMs = 0;
  let finalMs = 0;
  let nemesis: Nemesis | undefined;
  let faultsSkipped = 0;
  let failed = true;
  try {
    await plan.setup();
    const recorderStart = recorder.now();
    const untilMs = recorderStart + options.timeMs;
    const schedule = nemesisSchedule({
      seed: options.seed,
      kinds: options.nemesis,
      nodes: plan.cluster.nodes,
      untilMs: options.timeMs,
      faultsMax: options.faultsMax,
      durationMinMs: options.faultMinMs,
      durationMaxMs: options.faultMaxMs,
    }).map((f) => ({ ...f, at: f.at + recorderStart }));
    log(`nemesis: ${schedule.length === 0 ? 'none' : schedule.map(describeFault).join('; ')}`);
    nemesis = new Nemesis(plan.cluster, schedule, () => recorder.now());
    const faults = nemesis.run();
    await drive(plan.workload, recorder, { workers: options.workers, nodes: plan.cluster.nodes, seed: options.seed, untilMs, opsMax: options.opsMax, opTimeoutMs: options.opTimeoutMs });
    nemesis.stop();
    await faults;
    runMs = recorder.now() - recorderStart;
    log(`workload: ${recorder.operations.length} operations in ${(runMs / 1000).toFixed(1)} s`);
    faultsSkipped = schedule.length - nemesis.episodes.length;
    if (faultsSkipped > 0) log(`nemesis: ${faultsSkipped} of ${schedule.length} scheduled faults not injected: the workload ended before them (--ops-max)`);
    const recovering = performance.now();
    await plan.cluster.recover();
    recoverMs = performance.now() - recovering;
    const finals = performance.now();
    await plan.final(recorder);
    finalMs = performance.now() - finals;
    failed = false;
  } finally {
    nemesis?.stop();
    await plan.cluster.stop(failed ? false : undefined);
  }
  const checking = performance.now();
  const checks = plan.check(recorder);
  const checkMs = performance.now() - checking;
  const { log: _log, ...rest } = options;
  return {
    options: rest,
    nodes: plan.cluster.nodes,
    operations: recorder.operations as readonly RecordedOperation<unknown, unknown>[],
    faults: nemesis?.episodes ?? [],
    faultsSkipped,
    checks,
    durations: { startMs, runMs, recoverMs, finalMs, checkMs, totalMs: performance.now() - startedAt },
    describe: (op) => plan.describe(op.op as Op, op.result as Res | undefined),
  };
}

/** A CheckOutcome from a checker's verdict, mapping checker ids (recorder ids) through. */
export function outcomeOf(name: string, verdict: Verdict, operations: number, ms: number, promised = true): CheckOutcome {
  const base = { name, kind: verdict.kind, operations, ms, steps: verdict.steps, ...(promised ? {} : { promised: false as const }) };
  if (verdict.kind === 'ok') return { ...base, anomaly: [], context: [] };
  if (verdict.kind === 'unknown') return { ...base, explanation: verdict.explanation, anomaly: [], context: [] };
  return { ...base, explanation: verdict.explanation, anomaly: verdict.blocked, context: verdict.longestPrefix.slice(-3) };
}

/** An operation for the timeline: its text, then ` → result` once it has one. */
export function withResult(text: string, result: unknown): string {
  return `${text}${result === undefined ? '' : ` → ${JSON.stringify(result)}`}`;
}

/** Counts by outcome. */
export function outcomeCounts(ops: readonly RecordedOperation<unknown, unknown>[]): { ok: number; fail: number; info: number } {
  const counts = { ok: 0, fail: 0, info: 0 };
  for (const op of ops) counts[op.outcome ?? 'info']++;
  return counts;
}
