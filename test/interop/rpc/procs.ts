/**
 * Child processes of the interop matrix: the interop servers and clients of both languages, each
 * started in its own process group so that one `kill(-pid)` takes down whatever it started, and all
 * of them tracked so `killAll()` can end every one, whatever state a test left them in.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import { rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as readline from "readline";

export const REPO = path.join(__dirname, "../../..");
const VENV_PYTHON = path.join(REPO, ".venv", "bin", "python");
const GENERATED_PY = path.join(REPO, "generated", "python");

export type Lang = "ts" | "py";

/** The command line of an interop program (`server` or `client`) of one language. */
export function command(lang: Lang, program: "server" | "client"): { file: string; args: string[] } {
  if (lang === "py") return { file: VENV_PYTHON, args: [path.join(__dirname, `${program}.py`)] };
  return { file: process.execPath, args: ["--require", require.resolve("tsx/cjs"), path.join(__dirname, `${program}.ts`)] };
}

const live = new Set<Child>();
const ipcPaths = new Set<string>();
let counter = 0;

/** A fresh endpoint to bind: a unique ipc path under the temp dir, or an ephemeral tcp port on loopback. */
export function bindAddress(transport: "ipc" | "tcp", role: string): string {
  if (transport === "tcp") return "tcp://127.0.0.1:0";
  const p = path.join(tmpdir(), `pzmq-interop-${process.pid}-${++counter}-${role}.sock`);
  ipcPaths.add(p);
  return `ipc://${p}`;
}

/** A running child: its output lines as they come, its stderr, and its exit. */
export class Child {
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcessWithoutNullStreams;
  private lineWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    file: string,
    args: readonly string[],
  ) {
    // detached: the child leads a new process group, so kill(-pid) reaches anything it starts.
    this.proc = spawn(file, args, {
      cwd: REPO,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PYTHONPATH: [GENERATED_PY, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
    });
    live.add(this);
    this.proc.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    readline.createInterface({ input: this.proc.stdout }).on("line", (line) => {
      this.lines.push(line);
      for (const w of this.lineWaiters.splice(0)) w();
    });
    this.proc.stdin.on("error", () => undefined); // EPIPE once the child is gone
    this.exited = new Promise((resolve) => {
      this.proc.on("error", (err) => {
        this.stderr += `\ncould not start: ${err.message}`;
        live.delete(this);
        resolve({ code: null, signal: null });
      });
      this.proc.on("exit", (code, signal) => {
        live.delete(this);
        for (const w of this.lineWaiters.splice(0)) w();
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid !== undefined;
  }

  /** The first output line matching `pattern`, or an error after `ms` or when the child exits first. */
  async waitForLine(pattern: RegExp, ms: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const line of this.lines) {
        const m = pattern.exec(line);
        if (m !== null) return m;
      }
      if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}: ${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} printed no ${pattern} within ${ms} ms: ${this.tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.lineWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits up to `ms` for the exit; then kills the whole process group. Resolves with how it ended. */
  async exit(ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((r) => (timer = setTimeout(r, ms, undefined)));
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === undefined) {
      this.kill("SIGKILL");
      await this.exited;
      return `still running after ${ms} ms (killed)`;
    }
    return result.signal !== null ? `killed by ${result.signal}` : `exit code ${result.code}`;
  }

  /** Closes stdin (the interop servers' polite stop signal). */
  closeStdin(): void {
    this.proc.stdin.end();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  /** The end of stderr, for failure messages. */
  tail(chars = 1500): string {
    const s = this.stderr.trim();
    return s === "" ? "(no stderr)" : `stderr: ${s.length > chars ? `…${s.slice(-chars)}` : s}`;
  }
}

/** Kills every child still running (SIGKILL to its process group) and removes the ipc socket files. */
export async function killAll(): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  for (const p of ipcPaths) rmSync(p, { force: true });
  ipcPaths.clear();
}
