import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * One redis-server process of a test (a plain server, a cluster node, a sentinel or its data nodes),
 * which the tests kill as a machine dies or stall as an overloaded one.
 */
export class RedisProcess {
  readonly #name: string;
  #child: ChildProcess | undefined;

  constructor(name: string) {
    this.#name = name;
  }

  spawn(args: readonly string[]): void {
    this.#child = spawn('redis-server', [...args], { stdio: 'ignore' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** SIGKILL: no goodbye to clients, replicas or the cluster, as when a machine dies. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Kills without waiting (for a process 'exit' handler). */
  killNow(): void {
    this.#child?.kill('SIGKILL');
    this.#child = undefined;
  }

  /** SIGSTOP: the process keeps its connections (the kernel still accepts) but answers nothing. */
  pause(): void {
    this.#signal('SIGSTOP');
  }

  resume(): void {
    this.#signal('SIGCONT');
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) throw new Error(`${this.#name} is not running`);
    process.kill(pid, signal);
  }
}
