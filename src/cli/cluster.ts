// `faultline cluster <etcd|zookeeper>`: a campaign against a real cluster on 127.0.0.1 — start
// it from Debian's packages, run a workload under the nemesis, heal, check the history, print
// the verdicts and write the HTML timeline. Exit 0 when every property the system promises
// holds (a violation of one it does not promise — etcd's serializable reads, ZooKeeper's plain
// reads — is shown, not failed), 1 when a promised one is violated, 3 when a promised one could
// not be decided, 2 on bad input or an environment failure (one line).

import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import { type CampaignOptions, type CampaignReport, outcomeCounts, SYSTEMS, type SystemName } from '../cluster/campaign.ts';
import { ETCD_WORKLOADS, etcdCampaign, READ_MODES } from '../cluster/etcd-campaign.ts';
import { FAULT_KINDS, type FaultKind } from '../cluster/nemesis.ts';
import { ClusterError, withProcessGroup } from '../cluster/processes.ts';
import { renderTimeline } from '../cluster/timeline.ts';
import { ZOOKEEPER_WORKLOADS, zookeeperCampaign } from '../cluster/zookeeper-campaign.ts';
import { parseChoice, parsePositiveInt, parseSeconds } from './args.ts';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_OK } from './exit.ts';
import { tryWrite, writeText } from './files.ts';

export const CLUSTER_USAGE = `  faultline cluster <etcd|zookeeper> [--workload W] [--reads linearizable|serializable] [--time SECONDS]
                  [--nemesis kill,pause,partition|none] [--seed S] [--nodes 3|5] [--clients N] [--ops-max N]
                  [--op-timeout MS] [--base-port PORT] [--html FILE] [--json] [--quiet]
                  a real cluster on 127.0.0.1 (Debian's etcd-server / zookeeper) under faults; checks the
                  history and writes an HTML timeline (default .faultline-out/cluster/<system>-<workload>-<seed>.html);
                  exit 1 only when a property the system promises is violated
                  workloads: etcd ${ETCD_WORKLOADS.join('|')}; zookeeper ${ZOOKEEPER_WORKLOADS.join('|')}`;

function parseNemesis(text: string | undefined): FaultKind[] {
  if (text === undefined) return [...FAULT_KINDS];
  if (text === 'none') return [];
  const kinds = text.split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new InputError(`--nemesis must be a comma-separated list of ${FAULT_KINDS.join(', ')} (or none), got '${k}'`);
  }
  return [...new Set(kinds)] as FaultKind[];
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new InputError(`--seed must be an integer in 0..4294967295, got '${text}'`);
  return Number(text);
}

export function parseClusterOptions(argv: readonly string[]): { options: Omit<CampaignOptions, 'log'>; html: string; json: boolean; quiet: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      workload: { type: 'string' }, reads: { type: 'string' }, time: { type: 'string' }, nemesis: { type: 'string' }, seed: { type: 'string' },
      nodes: { type: 'string' }, clients: { type: 'string' }, 'ops-max': { type: 'string' }, 'op-timeout': { type: 'string' },
      'base-port': { type: 'string' }, html: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new InputError(`cluster needs one system (${SYSTEMS.join(', ')})${positionals.length > 1 ? `, got ${positionals.length}` : ''}`);
  const system = parseChoice('system', positionals[0], SYSTEMS) as SystemName;
  const workloads: readonly string[] = system === 'etcd' ? ETCD_WORKLOADS : ZOOKEEPER_WORKLOADS;
  const workload = parseChoice(`--workload (${system})`, values.workload, workloads) ?? workloads[0];
  const reads = parseChoice('--reads', values.reads, READ_MODES);
  if (reads !== undefined && system !== 'etcd') throw new InputError(`--reads applies to etcd only (zookeeper's register workload records plain and sync+reads)`);
  const nodes = parsePositiveInt('--nodes', values.nodes) ?? 3;
  if (nodes !== 3 && nodes !== 5) throw new InputError(`--nodes must be 3 or 5, got '${values.nodes}'`);
  const basePort = parsePositiveInt('--base-port', values['base-port']);
  if (basePort !== undefined && basePort + 4 * nodes > 65535) throw new InputError(`--base-port must leave room for ${4 * nodes} ports below 65536, got '${basePort}'`);
  const timeS = parseSeconds('--time', values.time) ?? 30;
  const seed = parseSeed(values.seed);
  const options: Omit<CampaignOptions, 'log'> = {
    system,
    workload,
    seed,
    timeMs: timeS * 1000,
    nemesis: parseNemesis(values.nemesis),
    nodes,
    workers: parsePositiveInt('--clients', values.clients) ?? 2 * nodes,
    opsMax: parsePositiveInt('--ops-max', values['ops-max']),
    opTimeoutMs: parsePositiveInt('--op-timeout', values['op-timeout']) ?? 1000,
    ...(basePort === undefined ? {} : { basePort }),
    ...(system === 'etcd' ? { reads: reads ?? 'linearizable' } : {}),
  };
  const html = values.html ?? `.faultline-out/cluster/${system}-${workload}${reads === 'serializable' ? '-serializable' : ''}-${seed}.html`;
  return { options, html, json: values.json === true, quiet: values.quiet === true };
}

export async function runClusterCampaign(options: CampaignOptions): Promise<CampaignReport> {
  return withProcessGroup((group) => (options.system === 'etcd' ? etcdCampaign(group, options) : zookeeperCampaign(group, options)));
}

export async function clusterCommand(argv: readonly string[]): Promise<number> {
  const { options, html, json, quiet } = parseClusterOptions(argv);
  const log = quiet || json ? undefined : (line: string): void => console.error(`cluster: ${line}`);
  let report: CampaignReport;
  try {
    report = await runClusterCampaign({ ...options, log });
  } catch (e) {
    if (e instanceof ClusterError) {
      console.error(`faultline: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
  const written = tryWrite(() => writeText(html, renderTimeline(report)));
  if (json) console.log(JSON.stringify(summary(report, written.error === undefined ? html : undefined), null, 2));
  else printSummary(report, written.error === undefined ? html : undefined);
  if (written.error !== undefined) {
    console.error(`faultline: ${written.error}`);
    return EXIT_BAD_INPUT;
  }
  const promised = report.checks.filter((c) => c.promised !== false);
  if (promised.some((c) => c.kind === 'violation')) return EXIT_FAILED;
  if (promised.some((c) => c.kind === 'unknown')) return EXIT_NOT_VERIFIED;
  return EXIT_OK;
}

function summary(report: CampaignReport, html: string | undefined): unknown {
  return {
    ...report.options,
    nodes: report.nodes,
    operations: report.operations.length,
    outcomes: outcomeCounts(report.operations),
    faultsSkipped: report.faultsSkipped,
    faults: report.faults.map((f) => ({ ...f.fault, startedAt: Math.round(f.startedAt), endedAt: f.endedAt === undefined ? null : Math.round(f.endedAt), ...(f.error ? { error: f.error } : {}) })),
    checks: report.checks.map((c) => ({ ...c, ms: Math.round(c.ms) })),
    durationsMs: Object.fromEntries(Object.entries(report.durations).map(([k, v]) => [k, Math.round(v)])),
    timeline: html ?? null,
  };
}

function printSummary(report: CampaignReport, html: string | undefined): void {
  const o = report.options;
  const counts = outcomeCounts(report.operations);
  const d = report.durations;
  console.log(`${o.system} ${o.workload}${o.reads ? ` (${o.reads} reads)` : ''}, ${report.nodes.length} nodes, ${o.workers} clients, seed ${o.seed}, nemesis ${o.nemesis.join(',') || 'none'}`);
  console.log(`  ${report.operations.length} operations: ${counts.ok} ok, ${counts.fail} fail, ${counts.info} info; ${report.faults.length} faults${report.faultsSkipped > 0 ? ` (${report.faultsSkipped} more scheduled but not injected: the workload ended first)` : ''}`);
  console.log(`  start ${(d.startMs / 1000).toFixed(1)} s, workload ${(d.runMs / 1000).toFixed(1)} s, recovery ${(d.recoverMs / 1000).toFixed(1)} s, check ${(d.checkMs / 1000).toFixed(2)} s, total ${(d.totalMs / 1000).toFixed(1)} s`);
  for (const c of report.checks) {
    const note = c.promised === false ? ` (not promised by ${o.system})` : '';
    console.log(`  ${c.kind.padEnd(9)} ${c.name}${note}: ${c.operations} operations, ${c.ms.toFixed(0)} ms${c.explanation ? `\n            ${c.explanation}` : ''}`);
  }
  if (html !== undefined) console.log(`  timeline: ${html}`);
}
