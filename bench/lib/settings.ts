/** Counts and durations of a full run and of `--quick` (a CI smoke run: everything once, tiny). */

export interface Settings {
  quick: boolean;
  /**
   * `warmup` calls per row before timing, and on for at least `warmupMs`: a count alone is too
   * little for inproc rows, whose calls are ten times shorter and whose server code first runs in
   * the client's process in that job (V8 still compiles it during the first timed runs).
   */
  latency: { rounds: number; calls: number; block: number; warmup: number; warmupMs: number };
  throughput: { rounds: number; seconds: number; depths: number[] };
  stream: { rounds: number; count: number };
  events: { rounds: number; count: number };
  bulk: { rounds: number; calls: number; block: number };
  codec: { ms: number; rounds: number; pyRounds: number; pySeconds: number };
  codegen: { files: number; rounds: number };
  /** Every child process is killed and the run fails after this long. */
  globalTimeoutMs: number;
  /** Longest a single client program may run. */
  clientTimeoutMs: number;
}

export const FULL: Settings = {
  quick: false,
  latency: { rounds: 5, calls: 2000, block: 100, warmup: 500, warmupMs: 500 },
  throughput: { rounds: 5, seconds: 0.2, depths: [1, 16, 64, 256] },
  stream: { rounds: 5, count: 10_000 },
  events: { rounds: 5, count: 20_000 },
  bulk: { rounds: 5, calls: 20, block: 5 },
  codec: { ms: 1000, rounds: 5, pyRounds: 5, pySeconds: 0.5 },
  codegen: { files: 500, rounds: 3 },
  globalTimeoutMs: 15 * 60_000,
  clientTimeoutMs: 6 * 60_000,
};

export const QUICK: Settings = {
  quick: true,
  latency: { rounds: 1, calls: 200, block: 50, warmup: 50, warmupMs: 0 },
  throughput: { rounds: 1, seconds: 0.05, depths: [1, 16, 64, 256] },
  stream: { rounds: 1, count: 500 },
  events: { rounds: 1, count: 1000 },
  bulk: { rounds: 1, calls: 2, block: 1 },
  codec: { ms: 100, rounds: 1, pyRounds: 1, pySeconds: 0.05 },
  codegen: { files: 20, rounds: 1 },
  globalTimeoutMs: 100_000,
  clientTimeoutMs: 60_000,
};
