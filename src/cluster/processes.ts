// Process control for real clusters on loopback: every server the harness starts is a child in
// its own session (setsid, so a Ctrl-C in the terminal reaches the harness, not the servers),
// known by pid, and stopped by that pid — on a normal stop, on failure, on SIGINT/SIGTERM and
// when the harness process exits. The nemesis's process faults are signals to that pid:
// SIGKILL (kill -9, the node restarts from its data directory) and SIGSTOP/SIGCONT (a pause).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** A failure of the harness's environment (missing binary, port in use, node not up): the CLI
 * prints its message as one line and exits 2. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

export interface LaunchSpec {
  /** For messages: `etcd n1`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** One started server. `pid` stays the same for the life of this object; a restart makes a new
 * ManagedProcess. */
export class ManagedProcess {
  private exited = false;
  private readonly exitWaiters: (() => void)[] = [];
  paused = false;
  /** How it ended: `code 1`, `signal SIGKILL` (undefined while it runs). */
  ended: string | undefined;

  constructor(
    readonly spec: LaunchSpec,
    private readonly child: ChildProcess,
  ) {
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.ended = signal !== null ? `signal ${signal}` : `code ${code}`;
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Resolves when the process has exited (immediately if it has). */
  exit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // ESRCH: it exited between the check and the signal.
    }
  }

  /** Why it is gone, for an error message: how it ended, the last lines of its log, the log. */
  exitReport(lines = 2): string {
    const text = existsSync(this.spec.logFile) ? readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ') : '';
    return `(${this.ended ?? 'running'})${text === '' ? '' : `: ${text.slice(0, 300)}`} (log: ${this.spec.logFile})`;
  }
}

/** All processes one harness started; `stopAll` is safe to call any number of times, and runs
 * (synchronously, with SIGKILL) when the harness process exits without calling it. */
export class ProcessGroup {
  private readonly processes = new Set<ManagedProcess>();
  /** Every pid this group ever started, restarts included (for "nothing left running" checks). */
  readonly launched: number[] = [];
  private closing = false;
  private readonly disposers = new Set<() => void>();
  private readonly onExit = (): void => this.killAllNow();

  constructor() {
    process.on('exit', this.onExit);
  }

  /** Starts `spec` in a new session; throws ClusterError when the binary cannot be started. */
  async launch(spec: LaunchSpec): Promise<ManagedProcess> {
    // After stopping began, nothing new may start (a nemesis restart racing a Ctrl-C would
    // otherwise outlive the run).
    if (this.closing) throw new ClusterError(`${spec.name}: not started: the run is stopping`);
    const log = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], { detached: true, stdio: ['ignore', log, log], env: spec.env ?? process.env });
    } finally {
      closeSync(log);
    }
    // Known by pid from the moment it exists, so a stop that begins while it starts stops it too.
    const managed = child.pid === undefined ? undefined : new ManagedProcess(spec, child);
    if (managed !== undefined) {
      this.processes.add(managed);
      this.launched.push(managed.pid);
      void managed.exit().then(() => this.processes.delete(managed));
    }
    const started = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    if (started !== undefined || managed === undefined) {
      const code = (started as NodeJS.ErrnoException | undefined)?.code;
      throw new ClusterError(code === 'ENOENT' ? `${spec.name}: '${spec.command}' not found` : `${spec.name}: cannot start '${spec.command}': ${started?.message}`);
    }
    return managed;
  }

  get pids(): readonly number[] {
    return [...this.processes].filter((p) => p.alive).map((p) => p.pid);
  }

  /** kill -9: the node loses everything not on disk. */
  async kill(p: ManagedProcess): Promise<void> {
    p.signal('SIGCONT');
    p.signal('SIGKILL');
    await p.exit();
  }

  /** SIGTERM, then SIGKILL after `graceMs`; a paused process is continued first so that it can
   * act on SIGTERM. */
  async stop(p: ManagedProcess, graceMs = 3000): Promise<void> {
    if (!p.alive) return;
    p.signal('SIGTERM');
    p.signal('SIGCONT');
    const timer = setTimeout(() => p.signal('SIGKILL'), graceMs);
    await p.exit();
    clearTimeout(timer);
  }

  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.processes].map((p) => this.stop(p, graceMs)));
  }

  /** For the exit hook: no waiting is possible there, so SIGKILL by pid. */
  killAllNow(): void {
    for (const p of this.processes) {
      p.signal('SIGCONT');
      p.signal('SIGKILL');
    }
  }

  /** Runs `cleanup` (synchronous: removing a data directory) when the group is disposed, also
   * on Ctrl-C; the returned function unregisters it (the owner cleaned up itself). */
  onDispose(cleanup: () => void): () => void {
    this.disposers.add(cleanup);
    return () => this.disposers.delete(cleanup);
  }

  /** Refuses new launches, stops everything, runs the cleanups and removes the exit hook. */
  async dispose(graceMs = 3000): Promise<void> {
    this.closing = true;
    await this.stopAll(graceMs);
    for (const cleanup of this.disposers) cleanup();
    this.disposers.clear();
    process.off('exit', this.onExit);
  }
}

/** Runs `body` with a ProcessGroup that is stopped afterwards, also when `body` throws and on
 * SIGINT/SIGTERM (which then end the process with 130/143 after the cleanup). */
export async function withProcessGroup<T>(body: (group: ProcessGroup) => Promise<T>): Promise<T> {
  const group = new ProcessGroup();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\ncluster: ${signal}: stopping the servers this run started (${group.pids.join(', ') || 'none'})\n`);
    void group.dispose(1000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(group);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await group.dispose();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns true or `timeoutMs` passes; false on timeout. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    // A probe that fails is "not yet"; a ClusterError is a verdict (the node exited) and ends
    // the wait at once instead of after the whole timeout.
    const ready = await probe().catch((e: unknown) => {
      if (e instanceof ClusterError) throw e;
      return false;
    });
    if (ready) return true;
    if (performance.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
