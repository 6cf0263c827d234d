/**
 * The self-check of a large run, spread over worker threads. Each worker loads TypeScript and
 * parses the lib and runtime files as soon as the run starts, parses the emitted modules as the
 * main thread sends them, then type-checks its share of them (balanced by size) in a program of
 * its own. The main thread waits for the results synchronously (`Atomics.wait` on a shared flag,
 * then `receiveMessageOnPort`), so the generator's API stays synchronous.
 *
 * Small runs never come here: a worker costs about half a second of start-up (loading
 * TypeScript), which only pays off above a few megabytes of TS.
 */
import * as os from "os";
import { MessageChannel, Worker, receiveMessageOnPort, workerData, type MessagePort } from "worker_threads";
import type { GeneratedFile } from "../../model/types";
import { checkerFor } from "./typecheck";

/** Emitted TS above which the check is worth parallelising, estimated before emitting (see `estimateSize`). */
export const PARALLEL_MIN_BYTES = 4_000_000;

/** Most workers used, whatever the machine. */
const MAX_WORKERS = 4;

/** Give up on a worker (and check its share in this thread) after this long. */
const WORKER_TIMEOUT_MS = 10 * 60_000;

type ToWorker = { add: GeneratedFile } | { check: readonly string[] };
type FromWorker = { problems: string[] } | { error: string };

interface WorkerData {
  readonly module: string;
  readonly tsx: string | undefined;
  readonly runtimeImport: string;
  readonly port: MessagePort;
  readonly done: Int32Array;
}

/**
 * Worker threads run this bootstrap: it loads this module (through tsx's CommonJS hook when
 * running from the `.ts` sources) and calls `workerMain`, and reports a failure to load as a
 * result, so the main thread never waits for a worker that died.
 */
const BOOTSTRAP = `
const { workerData } = require("worker_threads");
try {
  if (workerData.tsx !== undefined && require.extensions[".ts"] === undefined) require(workerData.tsx).register();
  require(workerData.module).workerMain();
} catch (e) {
  workerData.port.postMessage({ error: "type-check worker failed to start: " + (e && e.stack || e) });
  Atomics.store(workerData.done, 0, 1);
  Atomics.notify(workerData.done, 0);
}
`;

/** tsx's CommonJS register API, needed by workers when the generator runs from its sources. */
function tsxRegister(): string | undefined {
  if (!__filename.endsWith(".ts")) return undefined;
  try {
    return require.resolve("tsx/cjs/api");
  } catch {
    return undefined;
  }
}

/** Entry point of a worker thread (see BOOTSTRAP). */
export function workerMain(): void {
  const data = workerData as WorkerData;
  const checker = checkerFor(data.runtimeImport);
  checker.warmUp();
  const files: GeneratedFile[] = [];
  data.port.on("message", (msg: ToWorker) => {
    if ("add" in msg) {
      files.push(msg.add);
      checker.preparse(msg.add);
      return;
    }
    let result: FromWorker;
    try {
      result = { problems: checker.check(files, new Set(msg.check)) };
    } catch (e) {
      result = { error: (e as Error).stack ?? String(e) };
    }
    data.port.postMessage(result);
    Atomics.store(data.done, 0, 1);
    Atomics.notify(data.done, 0);
    data.port.close();
  });
}

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly done: Int32Array;
}

/**
 * How many threads a check of about `bytes` of TS should use: 1 means in this thread. Workers only
 * pay off on CPUs nobody else is using: each re-parses every module and competes with the main
 * thread while it emits, so on a busy machine (the 1-minute load average close to the CPU count)
 * they make the run slower, not faster, and the check stays in this thread.
 */
export function threadsFor(bytes: number, cpus = os.availableParallelism(), load = os.loadavg()[0] ?? 0): number {
  if (bytes < PARALLEL_MIN_BYTES) return 1;
  const idle = Math.floor(cpus - load + 0.5);
  return Math.max(1, Math.min(MAX_WORKERS, idle, Math.floor(bytes / (PARALLEL_MIN_BYTES / 2))));
}

/** Workers checking one run's modules. Create it before emitting; `add` each module; then `check`. */
export class TypeCheckPool {
  private readonly workers: PoolWorker[] = [];
  private readonly files: GeneratedFile[] = [];
  /** Why workers failed (their shares were then checked in this thread); for tests and debugging. */
  readonly workerErrors: string[] = [];

  constructor(private readonly runtimeImport: string, threads: number) {
    const module = __filename;
    const tsx = tsxRegister();
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const done = new Int32Array(new SharedArrayBuffer(4));
      const data: WorkerData = { module, tsx, runtimeImport, port: port2, done };
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList: [port2], stdout: false, stderr: false });
      worker.unref();
      this.workers.push({ worker, port: port1, done });
    }
  }

  /** Send an emitted module to every worker (each parses it while the main thread emits on). */
  add(file: GeneratedFile): void {
    this.files.push(file);
    for (const w of this.workers) w.port.postMessage({ add: file } satisfies ToWorker);
  }

  /**
   * Check every module added, split by size over the workers; returns the complaints. A worker
   * that fails or times out has its share checked in this thread instead.
   */
  check(): string[] {
    const shares = split(this.files, this.workers.length);
    shares.forEach((share, i) => this.workers[i]!.port.postMessage({ check: share.map((f) => f.path) } satisfies ToWorker));
    const problems: string[] = [];
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    this.workers.forEach((w, i) => {
      const result = waitFor(w, deadline);
      if (result !== undefined && "problems" in result) problems.push(...result.problems);
      else {
        this.workerErrors.push(result === undefined ? "timed out" : result.error);
        problems.push(...checkerFor(this.runtimeImport).check(this.files, new Set(shares[i]!.map((f) => f.path))));
      }
      void w.worker.terminate();
    });
    return problems;
  }

  /** Stop the workers without checking (the run failed before the check). */
  close(): void {
    for (const w of this.workers) void w.worker.terminate();
  }
}

/** Blocks until the worker reports (or the deadline passes: undefined). */
function waitFor(w: PoolWorker, deadline: number): FromWorker | undefined {
  while (Atomics.load(w.done, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(w.done, 0, 0, left) === "timed-out") return undefined;
  }
  const msg = receiveMessageOnPort(w.port);
  w.port.close();
  return msg === undefined ? undefined : (msg.message as FromWorker);
}

/** `n` shares of about equal size (largest first into the smallest share), each in the files' order. */
function split(files: readonly GeneratedFile[], n: number): GeneratedFile[][] {
  const sizes = new Array<number>(n).fill(0);
  const owner = new Map<GeneratedFile, number>();
  for (const f of [...files].sort((a, b) => b.content.length - a.content.length)) {
    let min = 0;
    for (let i = 1; i < n; i++) if (sizes[i]! < sizes[min]!) min = i;
    sizes[min]! += f.content.length;
    owner.set(f, min);
  }
  return sizes.map((_, i) => files.filter((f) => owner.get(f) === i));
}
