/**
 * Child processes of the bench, and the guarantee that none outlives it.
 *
 * Every child is spawned `detached` (its own process group, so its own children go with it) and
 * with a stdin pipe: servers exit when that pipe closes, which also covers the orchestrator being
 * killed with SIGKILL. On any exit of the orchestrator (normal, error, SIGINT/SIGTERM, the global
 * timeout) every group still alive gets SIGKILL.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { ROOT } from "./paths";

/** Where a process runs: unpinned, or on one CPU (`taskset -c <cpu>`). */
export type Cpu = number | undefined;

export const PYTHON = `${ROOT}/.venv/bin/python`;

/** The command line that runs a TypeScript file in one node process (tsx loader, tsconfig `paths`). */
export function tsCommand(file: string, args: string[]): [string, string[]] {
  return [process.execPath, ["--import", "tsx", file, ...args]];
}

const children = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** SIGKILLs every child process group still running. Synchronous, so it works in an exit handler. */
export function killAll(): void {
  for (const c of children) killGroup(c);
  children.clear();
}

/**
 * Installs the last-resort cleanup: kill every child on exit, on SIGINT/SIGTERM, and when
 * `timeoutMs` passes (then exit 1 with a message).
 */
export function installCleanup(timeoutMs: number): void {
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      killAll();
      process.stderr.write(`\nbench: ${sig}, every child process killed\n`);
      process.exit(130);
    });
  }
  setTimeout(() => {
    killAll();
    process.stderr.write(`\nbench: global timeout of ${Math.round(timeoutMs / 1000)} s reached, every child process killed\n`);
    process.exit(1);
  }, timeoutMs).unref();
}

function start(cmd: string, args: string[], cpu: Cpu): ChildProcess {
  const [file, argv] = cpu === undefined ? [cmd, args] : ["taskset", ["-c", String(cpu), cmd, ...args]];
  const child = spawn(file, argv, {
    cwd: ROOT,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    // protozmq as an application gets it: the compiled package (see bench/tsconfig.run.json).
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}/bench/tsconfig.run.json`, PYTHONUNBUFFERED: "1" },
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** A bench server process that reported `ready {json}`. */
export interface ServerProc {
  name: string;
  child: ChildProcess;
  /** Resolved endpoints, as the server printed them. */
  rpc: string[];
  events: string[];
}

/** Starts a server and waits for its `ready` line; rejects (and kills it) on exit or after `timeoutMs`. */
export function startServer(name: string, cmd: string, args: string[], cpu: Cpu, timeoutMs = 20_000): Promise<ServerProc> {
  const child = start(cmd, args, cpu);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      killGroup(child);
      reject(new Error(`server ${name} ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.on("exit", (code, sig) => fail(`exited (${code ?? sig}) before it was ready`));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^ready (.*)$/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      const info = JSON.parse(m[1]!) as { rpc: string[]; events: string[] };
      resolve({ name, child, rpc: info.rpc, events: info.events });
    });
  });
}

/** Closes a server's stdin (it exits by itself), then SIGKILLs its group if it is still there after 2 s. */
export async function stopServer(s: ServerProc): Promise<void> {
  const { child } = s;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  child.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  killGroup(child);
}

/**
 * Runs a program to completion, relaying its stderr (progress lines) to ours; rejects on a
 * non-zero exit or after `timeoutMs` (then kills it). Its stdin is a pipe left open, so the bench
 * clients notice (EOF) when the orchestrator dies, however it dies.
 */
export function runProgram(name: string, cmd: string, args: string[], cpu: Cpu, timeoutMs: number): Promise<string> {
  const child = start(cmd, args, cpu); // stdin stays open: the bench clients exit when it closes
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${name}: no result after ${Math.round(timeoutMs / 1000)} s (killed)`));
    }, timeoutMs);
    child.on("exit", (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} failed (${code ?? sig})\n${stderr}`));
    });
  });
}

/** Runs a short command synchronously (code generation); throws with its output if it fails. */
export function runSync(cmd: string, args: string[], timeoutMs = 120_000): string {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}/tsconfig.json` },
  });
  if (r.error !== undefined) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** True when `taskset` exists and this machine has at least two CPUs to pin to. */
export function canPin(cpus: number): boolean {
  if (cpus < 2) return false;
  return spawnSync("taskset", ["-c", "0", "true"]).status === 0;
}
