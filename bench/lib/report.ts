/**
 * Turns raw per-round figures into the report: one table per section and mode, and the targets of
 * issue #5 with their measured ratios (tracked, never asserted).
 *
 * Every figure is the median over rounds; every ratio is the median over rounds of (row ÷ its
 * baseline in the same round), so a slow stretch of the machine that hit both cancels out.
 *
 * Under `--langs`, a target whose rows all belong to a client that did not run is listed as "not
 * run", and one that lost some of its cases says which: neither counts as met or missed.
 */
import type { Figures, Job, JobResult, Target } from "../ts/common";
import type { CodegenResult } from "./codegen";
import type { Lang, ModeResult } from "./rpc";
import { median, pairedRatio } from "./stats";
import { bytesLabel, fmt, ratio, Table } from "./table";

export interface CodecResult {
  /** TS: `runs.encode[round][library]` ops/s; sizes in bytes. Absent under `--langs py`. */
  ts?: { sizes: Record<string, number>; runs: Record<"encode" | "decode", Record<string, number>[]> };
  /** Python: `runs[impl][round]` = { encode, decode } ops/s. Absent under `--langs ts`. */
  py?: Record<string, Array<{ encode: number; decode: number; size: number }>>;
}

/** One measured comparison against a target. */
export interface Check {
  what: string;
  value: number;
  met: boolean;
}

export interface TargetStatus {
  target: string;
  mode: string;
  /** Empty when none of the target's rows ran (then `notRun` says why). */
  checks: Check[];
  /** The cases of the target that `--langs` left out, e.g. "Py-client rows (--langs ts)". */
  notRun?: string;
}

const col = (runs: Figures[] | undefined, key: string): number[] => (runs ?? []).map((f) => f[key] ?? NaN);

interface Row {
  job: Job;
  target: Target;
  runs: Record<string, Figures[]>;
}

function rowsOf(mode: ModeResult, kind: Job["kind"], withSelection = false): Row[] {
  const out: Row[] = [];
  mode.runs.forEach(({ job, result }, i) => {
    if (job.kind !== kind || (i === 0 && !withSelection)) return;
    for (const target of job.targets) out.push({ job, target, runs: result.runs });
  });
  return out;
}

/** Paired ratio of `key` between this row and row `other` of the same job (`suffix`: throughput depth). */
function vs(row: Row, other: string | undefined, key: string, suffix = ""): number | undefined {
  if (other === undefined) return undefined;
  const a = row.runs[row.target.id + suffix];
  const b = row.runs[other + suffix];
  if (a === undefined || b === undefined) return undefined;
  return pairedRatio(col(a, key), col(b, key));
}

const med = (row: Row, key: string, suffix = ""): number => median(col(row.runs[row.target.id + suffix], key));
const baseName = (row: Row): string => row.target.baseline ?? "(baseline)";

function latencyTable(mode: ModeResult, withSelection: boolean): Table {
  const rows = rowsOf(mode, "latency", withSelection).map((r) => [
    `${r.target.id}`, r.target.transport, bytesLabel(r.job.size),
    fmt(med(r, "p50")), fmt(med(r, "p99")), fmt(med(r, "p999")),
    ratio(vs(r, r.target.baseline, "p50")), ratio(vs(r, r.target.baseline, "p99")), ratio(vs(r, r.target.baseline, "p999")),
    ratio(vs(r, r.target.grpc, "p50")), ratio(vs(r, r.target.grpc, "p99")),
    baseName(r),
  ]);
  const l = mode.runs.find((x) => x.job.kind === "latency")!.job as Extract<Job, { kind: "latency" }>;
  return {
    title: `Unary round-trip latency, µs, sequential (${mode.mode}; median of ${l.rounds} runs × ${l.calls} calls)`,
    headers: ["client→server", "transport", "payload", "p50", "p99", "p999", "p50 ×base", "p99 ×base", "p999 ×base", "p50 ×gRPC", "p99 ×gRPC", "baseline (same run)"],
    left: [0, 1, 11],
    rows,
    notes: [`Python protozmq server: ${mode.pythonServer} (the faster of Server and AsyncServer Py→Py in this mode).`],
  };
}

function throughputTable(mode: ModeResult): Table {
  const rows: string[][] = [];
  let depths: number[] = [];
  for (const r of rowsOf(mode, "throughput")) {
    depths = (r.job as Extract<Job, { kind: "throughput" }>).depths;
    const cells = [r.target.id, r.target.transport];
    for (const d of depths) cells.push(fmt(med(r, "cps", `@${d}`)));
    for (const d of depths) cells.push(ratio(vs(r, r.target.baseline, "cps", `@${d}`)));
    for (const d of depths) cells.push(ratio(vs(r, r.target.grpc, "cps", `@${d}`)));
    cells.push(baseName(r));
    rows.push(cells);
  }
  const t = mode.runs.find((x) => x.job.kind === "throughput")!.job as Extract<Job, { kind: "throughput" }>;
  return {
    title: `Unary throughput, calls/s with N calls in flight, 64 B (${mode.mode}; median of ${t.rounds} runs × ${t.seconds} s)`,
    headers: ["client→server", "transport", ...depths.map((d) => `N=${d}`), ...depths.map((d) => `×base N=${d}`), ...depths.map((d) => `×gRPC N=${d}`), "baseline (same run)"],
    left: [0, 1, 2 + depths.length * 3],
    rows,
  };
}

function streamingTable(mode: ModeResult): Table {
  const rows: string[][] = [];
  for (const r of rowsOf(mode, "stream")) {
    rows.push([`server stream: ${r.target.id}`, r.target.transport, fmt(med(r, "mps")), "", ratio(vs(r, r.target.baseline, "mps")), "", "", baseName(r)]);
  }
  for (const r of rowsOf(mode, "events")) {
    const lost = col(r.runs[r.target.id], "lost").reduce((a, b) => a + b, 0);
    rows.push([
      `events: ${r.target.id}`, r.target.transport, fmt(med(r, "published")), fmt(med(r, "received")),
      ratio(vs(r, r.target.baseline, "published")), ratio(vs(r, r.target.baseline, "received")), String(lost), baseName(r),
    ]);
  }
  const s = mode.runs.find((x) => x.job.kind === "stream")!.job as Extract<Job, { kind: "stream" }>;
  const e = mode.runs.find((x) => x.job.kind === "events")!.job as Extract<Job, { kind: "events" }>;
  return {
    title: `Streaming, messages/s, 64 B payloads (${mode.mode}; median of ${s.rounds} runs: one stream of ${s.count} replies; ${e.count} events)`,
    headers: ["what", "transport", "msgs/s (published/s)", "received/s", "×base", "received ×base", "events lost", "baseline (same run)"],
    left: [0, 1, 7],
    rows,
  };
}

function bulkTable(mode: ModeResult): Table {
  const rows = rowsOf(mode, "bulk").map((r) => [r.target.id, r.target.transport, fmt(med(r, "mbps")), ratio(vs(r, r.target.baseline, "mbps")), baseName(r)]);
  const b = mode.runs.find((x) => x.job.kind === "bulk")!.job as Extract<Job, { kind: "bulk" }>;
  return {
    title: `Bulk: 1 MiB bytes field echoed, MB/s one way (${mode.mode}; median of ${b.rounds} runs × ${b.calls} calls)`,
    headers: ["client→server", "transport", "MB/s", "×base", "baseline (same run)"],
    left: [0, 1, 4],
    rows,
  };
}

export function rpcTables(mode: ModeResult): Table[] {
  return [latencyTable(mode, true), throughputTable(mode), streamingTable(mode), bulkTable(mode)];
}

export function codecTables(c: CodecResult): Table[] {
  return [...(c.ts !== undefined ? [tsCodecTable(c.ts)] : []), ...(c.py !== undefined ? [pyCodecTable(c.py)] : [])];
}

function tsCodecTable(c: NonNullable<CodecResult["ts"]>): Table {
  const libs = Object.keys(c.runs.encode[0] ?? {});
  const series = (op: "encode" | "decode", lib: string): number[] => c.runs[op].map((r) => r[lib]!);
  return {
    title: `Codec, TypeScript: GameState (schemas/game, largest sample), ops/s (median of ${c.runs.encode.length} runs)`,
    headers: ["library", "bytes", "encode/s", "decode/s", "protozmq ÷ this, encode", "protozmq ÷ this, decode"],
    left: [0],
    rows: libs.map((lib) => [
      lib === "protozmq" ? "protozmq (generated/ts)" : lib === "protobufjs" ? "protobufjs static (pbjs)" : lib === "JSON" ? "JSON.stringify / JSON.parse" : "@bufbuild/protobuf (protoc-gen-es)",
      String(c.sizes[lib] ?? ""), fmt(median(series("encode", lib))), fmt(median(series("decode", lib))),
      lib === "protozmq" ? "" : ratio(pairedRatio(series("encode", "protozmq"), series("encode", lib))),
      lib === "protozmq" ? "" : ratio(pairedRatio(series("decode", "protozmq"), series("decode", lib))),
    ]),
    notes: ["JSON is the sample's proto3 JSON through JSON.stringify/JSON.parse only: no schema, no int64 or bytes conversion."],
  };
}

function pyCodecTable(c: NonNullable<CodecResult["py"]>): Table {
  const pyRuns = (impl: string, op: "encode" | "decode"): number[] => (c[impl] ?? []).map((r) => r[op]);
  return {
    title: `Codec, Python: the same message, ops/s (median of ${(c["protozmq"] ?? []).length} runs; protobuf's upb backend)`,
    headers: ["_pb2 module", "bytes", "encode/s", "decode/s", "protozmq ÷ this, encode", "protozmq ÷ this, decode"],
    left: [0],
    rows: ["protozmq", "protoc"].map((impl) => [
      impl === "protozmq" ? "protozmq (generated/python)" : "protoc --python_out",
      String(c[impl]?.[0]?.size ?? ""), fmt(median(pyRuns(impl, "encode"))), fmt(median(pyRuns(impl, "decode"))),
      impl === "protozmq" ? "" : ratio(pairedRatio(pyRuns("protozmq", "encode"), pyRuns(impl, "encode"))),
      impl === "protozmq" ? "" : ratio(pairedRatio(pyRuns("protozmq", "decode"), pyRuns(impl, "decode"))),
    ]),
  };
}

export function codegenTable(g: CodegenResult): Table {
  const base: Record<string, string> = {
    "protozmq (TS)": "protoc + protoc-gen-es",
    "protozmq (TS, --no-type-check)": "protoc + protoc-gen-es",
    "protozmq (Python)": "protoc --python_out",
  };
  return {
    title: `Codegen: ${g.files} .proto files that import each other (median of ${Object.values(g.runs)[0]?.length ?? 0} runs, each a fresh process)`,
    headers: ["generator", "seconds", "files/s", "×base (time)", "baseline (same run)"],
    left: [0, 4],
    rows: Object.entries(g.runs).map(([tool, secs]) => [
      tool, fmt(median(secs)), fmt(g.files / median(secs)),
      base[tool] !== undefined ? ratio(pairedRatio(secs, g.runs[base[tool]!]!)) : "", base[tool] ?? "(baseline)",
    ]),
  };
}

// ---- targets

function find(mode: ModeResult, kind: Job["kind"], client: string, id: string): Row[] {
  return rowsOf(mode, kind).filter((r) => r.job.client === client && r.target.id === id);
}

const where = (r: Row): string => `${r.target.transport} ${bytesLabel(r.job.size)}`;

const CLIENT: Record<Lang, string> = { ts: "TS", py: "Py" };

/** The pairs with a Python side whose pipelined throughput is a target: client, pair, raw baseline. */
const PY_PAIRS: ReadonlyArray<readonly [Lang, string, string]> = [
  ["ts", "TS→Py", "raw zeromq.js→pyzmq"],
  ["py", "Py→Py", "raw pyzmq echo"],
  ["py", "Py→TS", "raw pyzmq→zeromq.js"],
];

/**
 * The targets, per mode, then the codec's. `langs`: the clients that ran (`--langs`); each target
 * names the clients its cases come from, and those that did not run are reported as not run.
 */
export function targets(modes: ModeResult[], codec: CodecResult | undefined, langs: readonly Lang[]): TargetStatus[] {
  const out: TargetStatus[] = [];
  /** A target measured on the rows of the clients `from` (`label`: how to name those rows). */
  const add = (target: string, mode: string, from: Lang[], checks: Check[], label = (l: Lang): string => `${CLIENT[l]}-client rows`): void => {
    const missing = from.filter((l) => !langs.includes(l));
    if (checks.length === 0 && missing.length === 0) return;
    out.push({ target, mode, checks, ...(missing.length > 0 ? { notRun: `${missing.map(label).join(", ")} (--langs ${langs.join(",")})` } : {}) });
  };
  const check = (what: string, value: number | undefined, ok: (v: number) => boolean): Check[] =>
    value === undefined || !Number.isFinite(value) ? [] : [{ what, value, met: ok(value) }];
  for (const m of modes) {
    const ts = find(m, "latency", "TS", "protozmq TS→TS");
    const tput = find(m, "throughput", "TS", "protozmq TS→TS")[0];
    const depths = tput !== undefined ? (tput.job as Extract<Job, { kind: "throughput" }>).depths : [];
    const cps = (other: string | undefined, ok: (v: number) => boolean, ds: number[]): Check[] =>
      tput === undefined ? [] : ds.flatMap((d) => check(`N=${d}`, vs(tput, other, "cps", `@${d}`), ok));
    add("unary p50 ≤ 1.15× raw zeromq.js echo (TS→TS)", m.mode, ["ts"], ts.flatMap((r) => check(where(r), vs(r, r.target.baseline, "p50"), (v) => v <= 1.15)));
    add("unary p99 ≤ 1.3× raw zeromq.js echo (TS→TS)", m.mode, ["ts"], ts.flatMap((r) => check(where(r), vs(r, r.target.baseline, "p99"), (v) => v <= 1.3)));
    add("pipelined throughput ≥ 1.0× raw zeromq.js per call (TS→TS)", m.mode, ["ts"], cps(tput?.target.baseline, (v) => v >= 1.0, depths.filter((d) => d > 1)));
    // The Python pairs, each against its own raw baseline of the same run (the same client and
    // server languages, as the rows' `baseline` says), at every depth but N=1.
    for (const [lang, pair, raw] of PY_PAIRS) {
      const row = find(m, "throughput", CLIENT[lang], `protozmq ${pair}`)[0];
      const ds = row !== undefined ? (row.job as Extract<Job, { kind: "throughput" }>).depths.filter((d) => d > 1) : [];
      add(`pipelined throughput ≥ 1.0× ${raw} per call (${pair})`, m.mode, [lang],
        row === undefined ? [] : ds.flatMap((d) => check(`N=${d}`, vs(row, row.target.baseline, "cps", `@${d}`), (v) => v >= 1.0)));
    }
    const withGrpc = ts.filter((r) => r.target.grpc !== undefined);
    add("vs grpc-js: lower p50", m.mode, ["ts"], withGrpc.flatMap((r) => check(where(r), vs(r, r.target.grpc, "p50"), (v) => v < 1)));
    add("vs grpc-js: p99 ≤ 0.3×", m.mode, ["ts"], withGrpc.flatMap((r) => check(where(r), vs(r, r.target.grpc, "p99"), (v) => v <= 0.3)));
    // With calls in flight, as the grpc-js baseline ("6.1k/s with 64 concurrent") and the
    // pipelined target: at N=1 throughput is only 1/latency, which the p50 and p99 targets cover,
    // and there raw zeromq.js itself is ~3.3x grpc-js. The throughput table still shows N=1.
    add("vs grpc-js: throughput ≥ 4×", m.mode, ["ts"], cps(tput?.target.grpc, (v) => v >= 4, depths.filter((d) => d > 1)));
    const cross = [...find(m, "latency", "TS", "protozmq TS→Py"), ...find(m, "latency", "Py", "protozmq Py→TS"), ...find(m, "latency", "Py", "protozmq Py→Py")];
    add("TS⇄Python and Py⇄Py p50 ≤ 1.15× raw (same client and server languages)", m.mode, ["ts", "py"],
      cross.flatMap((r) => check(`${r.target.id.replace("protozmq ", "")} ${where(r)}`, vs(r, r.target.baseline, "p50"), (v) => v <= 1.15)));
  }
  if (codec !== undefined) {
    const c = codec.ts;
    const s = (op: "encode" | "decode", lib: string): number[] => c!.runs[op].map((r) => r[lib]!);
    const r = (op: "encode" | "decode", lib: string): number => pairedRatio(s(op, "protozmq"), s(op, lib));
    const vsLib = (lib: string, ok: (v: number) => boolean): Check[] =>
      c === undefined ? [] : (["encode", "decode"] as const).map((op) => ({ what: op, value: r(op, lib), met: ok(r(op, lib)) }));
    add("codec ≥ 1.0× protobufjs static", "-", ["ts"], vsLib("protobufjs", (v) => v >= 1), () => "the TS codec");
    add("codec ≥ 2× @bufbuild/protobuf", "-", ["ts"], vsLib("@bufbuild/protobuf", (v) => v >= 2), () => "the TS codec");
  }
  return out;
}

export function targetsTable(list: TargetStatus[]): Table {
  return {
    title: "Targets (tracked, never asserted): measured ratio per case, ✓ met / ✗ missed",
    headers: ["target", "mode", "status", "measured"],
    left: [0, 1, 2, 3],
    rows: list.map((t) => {
      const met = t.checks.filter((c) => c.met).length;
      const status = met === t.checks.length ? "met" : met === 0 ? "missed" : `${met}/${t.checks.length} met`;
      const measured = t.checks.map((c) => `${c.met ? "✓" : "✗"} ${c.what} ${c.value.toFixed(2)}×`);
      if (t.notRun !== undefined) measured.push(`not run: ${t.notRun}`);
      return [t.target, t.mode, t.checks.length === 0 ? "not run" : t.notRun !== undefined ? `${status} (part not run)` : status, measured.join(", ")];
    }),
  };
}

export type { JobResult };
