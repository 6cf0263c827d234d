/**
 * Paired, interleaved A/B measurement of the bulk and events rows across source trees (e.g. a
 * `git archive` of main against a working tree), for changes too small to see through the noise
 * of a full `npm run bench` on a shared machine:
 *
 *   node --import tsx bench/ts/ab.ts [--pin] [--rounds 7] [--cmd "bulk 10 1048576"] \
 *     raw=.:raw  A=/tmp/base:pz  B=.:pz
 *
 * Each `label=tree:impl[,VAR=value...]` starts `bench/ts/ab-worker.ts` of that tree (its own runtime,
 * its own bench server), with the variables set for that worker and its server. Every round sends the command to each worker in turn, starting at a different one each
 * round, so a slow stretch of the machine hits every row alike. Prints, per row, the median of each
 * figure and, for rows after the first, the median of the per-round ratios to the first row.
 * Needs `bench/.gen` in each tree (bench/lib/prepare.ts).
 */
import { spawn, ChildProcess } from "child_process";
import * as path from "path";
import * as readline from "readline";

interface Worker {
  label: string;
  proc: ChildProcess;
  next(): Promise<Record<string, number>>;
}

function startWorker(label: string, tree: string, impl: string, pin: boolean, extraEnv: Record<string, string>): Worker {
  const root = path.resolve(tree);
  const args = ["--import", "tsx", path.join(root, "bench", "ts", "ab-worker.ts"), impl, label];
  const env = { ...process.env, ...(pin ? { AB_PIN: "1" } : {}), ...extraEnv };
  const proc = pin
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], { cwd: root, env, stdio: ["pipe", "pipe", "inherit"] })
    : spawn(process.execPath, args, { cwd: root, env, stdio: ["pipe", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return {
    label,
    proc,
    next: async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`${label}: worker ended`);
      return JSON.parse(r.value) as Record<string, number>;
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let rounds = 7;
  let cmd = "bulk 10 1048576";
  let pin = false;
  const specs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--rounds") rounds = Number(argv[++i]);
    else if (argv[i] === "--cmd") cmd = argv[++i]!;
    else if (argv[i] === "--pin") pin = true;
    else specs.push(argv[i]!);
  }
  const workers = specs.map((spec) => {
    // label=tree:impl[,VAR=value...]: the variables go to that worker and its server only.
    const eq = spec.indexOf("=");
    const [where, ...vars] = spec.slice(eq + 1).split(",") as [string, ...string[]];
    const i = where.lastIndexOf(":");
    const env = Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
    return startWorker(spec.slice(0, eq), where.slice(0, i), where.slice(i + 1), pin, env);
  });
  // Warm-up: one command each.
  for (const w of workers) {
    w.proc.stdin!.write(cmd + "\n");
    await w.next();
  }
  const runs = workers.map(() => [] as Record<string, number>[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < workers.length; k++) {
      const i = (r + k) % workers.length;
      workers[i]!.proc.stdin!.write(cmd + "\n");
      runs[i]!.push(await workers[i]!.next());
    }
  }
  const size = Number(cmd.split(/\s+/)[2]);
  const calls = Number(cmd.split(/\s+/)[1]);
  const derive = (f: Record<string, number>): Record<string, number> =>
    cmd.startsWith("bulk") ? { "MB/s": (calls * size) / 1e6 / (f["wallMs"]! / 1000), "cpu ms/call": f["cpuMs"]! / calls, "server cpu ms/call": f["serverCpuMs"]! / calls }
      : { published: f["published"]!, received: f["received"]!, lost: f["lost"]!, "cpu µs/event": (f["cpuMs"]! * 1000) / calls, "server cpu µs/event": (f["serverCpuMs"]! * 1000) / calls };
  const figs = runs.map((rs) => rs.map(derive));
  console.log(`${cmd}, ${rounds} rounds${pin ? ", pinned (client CPU 0, server CPU 1)" : ""}`);
  for (const [i, w] of workers.entries()) {
    const keys = Object.keys(figs[i]![0]!);
    const parts = keys.map((k) => {
      const med = median(figs[i]!.map((f) => f[k]!));
      const ratio = i > 0 ? ` (${median(figs[i]!.map((f, r) => f[k]! / figs[0]![r]![k]!)).toFixed(2)}× ${workers[0]!.label})` : "";
      return `${k} ${med.toFixed(k.includes("cpu") ? 2 : 0)}${ratio}`;
    });
    console.log(`  ${w.label.padEnd(8)} ${parts.join(", ")}`);
  }
  for (const w of workers) w.proc.stdin!.write("quit\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
