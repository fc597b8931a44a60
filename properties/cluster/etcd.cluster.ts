// A short campaign on a real 3-member etcd 3.4 cluster (Debian's etcd-server) on 127.0.0.1, with
// fixed nemesis seeds and bounded operation counts. Run by `npm run test:cluster`, not by
// `npm test` (the file name does not end in .test.ts).
//
// seed 7 gives kill -9, SIGSTOP and an isolation in 15 s (properties/cluster.test.ts pins the
// schedule); seed 1 with partitions only isolates n2 three times.

import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { campaign, verdicts } from './campaign.ts';
import { viewTimeline } from './timeline-browser.ts';

describe('etcd 3.4 under kills, pauses and partitions', () => {
  it('with linearizable reads the per-key register history is linearizable, and every process started is stopped', async () => {
    const { report, leftRunning, started } = await campaign(
      { system: 'etcd', workload: 'register', reads: 'linearizable', seed: 7, timeMs: 15_000, nemesis: ['kill', 'pause', 'partition'], nodes: 3, workers: 6, opsMax: 30_000, opTimeoutMs: 1000 },
      'etcd-register-linearizable-7',
    );
    expect(report.faultsSkipped, 'the workload ended before the nemesis schedule').toBe(0);
    expect(report.faults.map((f) => f.fault.kind)).toEqual(['kill', 'pause', 'partition']);
    expect(report.faults.every((f) => f.error === undefined && f.endedAt !== undefined)).toBe(true);
    expect(report.operations.length).toBeGreaterThan(500);
    expect(verdicts(report)).toEqual({ 'linearizable, per key (4 keys)': 'ok' });
    expect(started.length).toBeGreaterThanOrEqual(4); // three members and the restart after kill -9
    expect(leftRunning).toEqual([]);
  });

  it('with serializable reads a member cut off from the leader serves a stale read, and the timeline shows it', async () => {
    const { report, leftRunning, timeline } = await campaign(
      { system: 'etcd', workload: 'register', reads: 'serializable', seed: 1, timeMs: 15_000, nemesis: ['partition'], nodes: 3, workers: 6, opsMax: 6000, opTimeoutMs: 1000 },
      'etcd-register-serializable-1',
    );
    const [check] = report.checks;
    expect(check.kind).toBe('violation');
    const stale = report.operations.find((op) => op.id === check.anomaly[0])!;
    expect((stale.op as { kind: string }).kind).toBe('read');
    console.log(`  stale read: #${stale.id} on ${stale.node} at ${(stale.invokedAt / 1000).toFixed(2)} s; timeline ${timeline}`);
    expect(leftRunning).toEqual([]);
    // The timeline as a reader sees it in Chromium: the verdict, a lane per client (and one for
    // the final reads), the stale read's bar in red and on screen in the zoom, nothing fetched.
    const view = await viewTimeline(timeline);
    expect(view.title).toBe('etcd register (serializable reads), seed 1');
    expect(view.verdicts).toEqual(['violation']);
    expect(view.lanes).toBe(7);
    expect(view.bars).toBe(report.operations.length);
    expect(view.anomalies).toEqual([{ op: String(stale.id), fill: 'rgb(229, 57, 53)', width: expect.any(Number), visible: true }]);
    expect(view.requests).toEqual([pathToFileURL(timeline).href]);
    console.log(`  screenshot: ${view.screenshot}`);
  });
});
