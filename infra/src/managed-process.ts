import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";

/**
 * A child process the launcher owns. It runs in its own process group so stopping it also stops
 * whatever it forked, and a watchdog shell kills that group if this Node process dies without
 * cleaning up (for example under `kill -9`), so no broker outlives its test run.
 */
export class ManagedProcess {
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    private readonly stopGraceMs: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        resolve(this.exitCode);
      });
    });
    live.add(this);
  }

  static start(
    name: string,
    command: string,
    args: readonly string[],
    options: {
      cwd?: string;
      env?: NodeJS.ProcessEnv;
      logFile: string;
      /** How long stop() waits after SIGTERM before SIGKILL (10 s). */
      stopGraceMs?: number;
    },
  ): ManagedProcess {
    const log = fs.openSync(options.logFile, "a");
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", log, log],
      detached: true,
    });
    fs.closeSync(log);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    startWatchdog(child.pid);
    return new ManagedProcess(name, child, options.logFile, options.stopGraceMs ?? 10_000);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within the start's `stopGraceMs`. */
  async stop(): Promise<void> {
    if (!this.running) return;
    signalGroup(this.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(this.pid, "SIGKILL"), this.stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The crash a fault test wants: no grace, no cleanup. */
  async kill(): Promise<void> {
    if (!this.running) return;
    signalGroup(this.pid, "SIGKILL");
    await this.exited;
  }

  /** The last lines of the process log, for error messages when a start fails. */
  tail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

const live = new Set<ManagedProcess>();

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // NOTE: ESRCH means the group is already gone, which is the state we want.
  }
}

function startWatchdog(childPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; kill -9 -${childPid} 2>/dev/null`;
  const watchdog = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  watchdog.unref();
}

// Synchronous on purpose: `exit` handlers cannot await.
process.once("exit", () => {
  for (const p of live) signalGroup(p.pid, "SIGKILL");
});
