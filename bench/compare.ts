/**
 * `npm run bench:compare -- <before.json> [<after.json>] [--mode pinned] [--markdown]`: the targets of
 * two bench runs side by side.
 *
 * Reads the `targets` of two files that `npm run bench` wrote (the second defaults to
 * bench/results/latest.json) and prints one row per measured case (target, mode, case): the ratio
 * before, the ratio after, and whether each met the target. It is how docs/BENCHMARKS.md records
 * "before and after". Both runs should come from the same machine; a case measured in only one of
 * them shows "—" on the other side. Prints Markdown with `--markdown`, aligned text otherwise.
 *
 *   npm run bench:compare -- bench/results/2026-11-26T06-25-37-301Z.json
 *   npm run bench:compare -- old.json new.json --mode pinned --markdown
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./lib/paths";
import type { Check, TargetStatus } from "./lib/report";
import { markdownTable, Table, textTable } from "./lib/table";

interface RunFile {
  date: string;
  quick: boolean;
  machine?: { commit?: string };
  targets: TargetStatus[];
}

function load(file: string): RunFile {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a bench result file (${(e as Error).message})`);
  }
  const run = data as Partial<RunFile>;
  if (!Array.isArray(run.targets) || typeof run.date !== "string") {
    throw new Error(`${file}: no "targets" list: is it a bench/results/<time>.json file written by npm run bench?`);
  }
  return run as RunFile;
}

const cell = (c: Check | undefined): string => (c === undefined ? "—" : `${c.met ? "✓" : "✗"} ${c.value.toFixed(2)}×`);

/** One row per (target, mode, case) found in either run, in the order of the "after" run. */
export function compareTargets(before: TargetStatus[], after: TargetStatus[], mode?: string): string[][] {
  const key = (t: TargetStatus, c: Check): string => `${t.target}\u0000${t.mode}\u0000${c.what}`;
  const old = new Map<string, Check>();
  for (const t of before) for (const c of t.checks) old.set(key(t, c), c);
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const t of [...after, ...before]) {
    // Codec targets have mode "-": they belong to every mode's view.
    if (mode !== undefined && t.mode !== mode && t.mode !== "-") continue;
    for (const c of t.checks) {
      const k = key(t, c);
      if (seen.has(k)) continue;
      seen.add(k);
      const now = after.find((a) => a.target === t.target && a.mode === t.mode)?.checks.find((x) => x.what === c.what);
      rows.push([t.target, t.mode, c.what, cell(old.get(k)), cell(now)]);
    }
  }
  return rows;
}

function main(argv: string[]): void {
  const markdown = argv.includes("--markdown");
  const m = argv.indexOf("--mode");
  const mode = m >= 0 ? argv[m + 1] : undefined;
  if (m >= 0 && (mode === undefined || mode.startsWith("-"))) throw new Error("--mode needs a value: unpinned, pinned or same-cpu");
  const files = argv.filter((a, i) => a !== "--markdown" && i !== m && i !== m + 1);
  if (files.length < 1 || files.length > 2 || files.some((f) => f.startsWith("-"))) {
    console.error("usage: npm run bench:compare -- <before.json> [<after.json>] [--mode pinned] [--markdown]");
    process.exit(2);
  }
  const beforeFile = files[0]!;
  const afterFile = files[1] ?? path.join(ROOT, "bench", "results", "latest.json");
  const before = load(beforeFile);
  const after = load(afterFile);
  const label = (r: RunFile): string => `${r.date}${r.quick ? " (quick: figures mean nothing)" : ""}`;
  const table: Table = {
    title: "Targets, before and after: ratio to the baseline of the same run, ✓ met / ✗ missed",
    headers: ["target", "mode", "case", "before", "after"],
    left: [0, 1, 2],
    rows: compareTargets(before.targets, after.targets, mode),
    notes: [`before: ${path.basename(beforeFile)}, run of ${label(before)}`, `after: ${path.basename(afterFile)}, run of ${label(after)}`],
  };
  console.log(markdown ? markdownTable(table) : textTable(table));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:compare: ${(e as Error).message}`);
    process.exit(1);
  }
}
