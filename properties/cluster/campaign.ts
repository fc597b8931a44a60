// Shared by the real-cluster suites: run one campaign with fixed settings, log its figures, and
// say which of the pids it started are still running (none may be).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CampaignOptions, CampaignReport } from '../../src/cluster/campaign.ts';
import { outcomeCounts } from '../../src/cluster/campaign.ts';
import { etcdCampaign } from '../../src/cluster/etcd-campaign.ts';
import { withProcessGroup } from '../../src/cluster/processes.ts';
import { renderTimeline } from '../../src/cluster/timeline.ts';
import { zookeeperCampaign } from '../../src/cluster/zookeeper-campaign.ts';

/** Where the timelines go (gitignored); CI may upload it as an artifact. */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', process.env.FAULTLINE_ARTIFACTS ?? '.faultline-out', 'cluster');

function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

export async function campaign(options: Omit<CampaignOptions, 'log'>, name: string): Promise<{ report: CampaignReport; leftRunning: number[]; started: number[]; timeline: string }> {
  let started: number[] = [];
  const report = await withProcessGroup((group) => {
    started = group.launched;
    const run = { ...options, log: (line: string) => console.log(`  ${name}: ${line}`) };
    return options.system === 'etcd' ? etcdCampaign(group, run) : zookeeperCampaign(group, run);
  });
  const counts = outcomeCounts(report.operations);
  const d = report.durations;
  console.log(
    `${name}: ${report.operations.length} operations (${counts.ok} ok, ${counts.fail} fail, ${counts.info} info), ${report.faults.length} faults (${report.faultsSkipped} skipped); ` +
      `start ${(d.startMs / 1000).toFixed(1)} s, workload ${(d.runMs / 1000).toFixed(1)} s, recovery ${(d.recoverMs / 1000).toFixed(1)} s, total ${(d.totalMs / 1000).toFixed(1)} s`,
  );
  for (const c of report.checks) console.log(`  ${c.kind.padEnd(9)} ${c.name}: ${c.operations} operations in ${c.ms.toFixed(0)} ms${c.kind === 'ok' ? '' : `: ${c.explanation}`}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const timeline = join(ARTIFACTS, `${name}.html`);
  writeFileSync(timeline, renderTimeline(report));
  return { report, leftRunning: started.filter(running), started: [...started], timeline };
}

export function verdicts(report: CampaignReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.name, c.kind]));
}
