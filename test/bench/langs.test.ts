import { parseArgs } from "../../bench/lib/args";
import { targets, targetsTable } from "../../bench/lib/report";
import type { Lang, ModeResult } from "../../bench/lib/rpc";
import { serversFor } from "../../bench/lib/rpc";
import { QUICK } from "../../bench/lib/settings";
import type { Job, LatencyJob, Target } from "../../bench/ts/common";

describe("bench options", () => {
  it("defaults to every section and both client languages", () => {
    expect(parseArgs([])).toEqual({ quick: false, modes: undefined, sections: ["rpc", "codec", "codegen"], langs: ["ts", "py"], help: false });
  });

  it("--langs keeps the canonical order and drops repeats", () => {
    expect(parseArgs(["--langs", "ts"]).langs).toEqual(["ts"]);
    expect(parseArgs(["--quick", "--langs", "py"])).toMatchObject({ quick: true, langs: ["py"] });
    expect(parseArgs(["--langs", "py,ts,py"]).langs).toEqual(["ts", "py"]);
  });

  it("names the option and its valid values on a bad value", () => {
    expect(() => parseArgs(["--langs", "rb"])).toThrow('--langs: unknown value "rb" (valid: ts, py)');
    expect(() => parseArgs(["--langs", ""])).toThrow('--langs: unknown value "" (valid: ts, py)');
    expect(() => parseArgs(["--langs"])).toThrow("--langs needs a value");
    expect(() => parseArgs(["--modes", "pinned,fast"])).toThrow('--modes: unknown value "fast" (valid: unpinned, pinned, same-cpu)');
    expect(() => parseArgs(["--sections", "io"])).toThrow('--sections: unknown value "io" (valid: rpc, codec, codegen)');
  });
});

describe("bench servers per --langs", () => {
  // The selection (Py→Py, Server vs AsyncServer) needs py-raw and both Python protozmq servers always.
  it("starts grpcio only for the Py client and grpc-js only for the TS client", () => {
    expect(serversFor(["ts", "py"], QUICK, "unpinned")).toEqual(["ts-pz", "ts-raw", "ts-grpc", "py-pz-sync", "py-pz-async", "py-raw", "py-grpc"]);
    expect(serversFor(["ts"], QUICK, "unpinned")).toEqual(["ts-pz", "ts-raw", "ts-grpc", "py-pz-sync", "py-pz-async", "py-raw"]);
    expect(serversFor(["py"], QUICK, "unpinned")).toEqual(["ts-pz", "ts-raw", "py-pz-sync", "py-pz-async", "py-raw", "py-grpc"]);
  });
});

describe("bench targets with rows left out", () => {
  const T = (id: string, extra: Partial<Target> = {}): Target => ({ id, impl: "pz", endpoint: "ipc://x", transport: "ipc", ...extra });
  const latency = (client: string, targets: Target[]): LatencyJob => ({
    kind: "latency", client, group: `${client} latency ipc 64`, size: 64, rounds: 1, calls: 1, block: 1, warmup: 0, warmupMs: 0, targets,
  });
  const p50 = (v: number): Array<Record<string, number>> => [{ p50: v, p99: v }];
  const run = (job: Job, runs: Record<string, Array<Record<string, number>>>): ModeResult["runs"][number] => ({
    job, result: { group: job.group, kind: job.kind, size: job.size, runs },
  });
  const selection = run(latency("Py", []), {});
  const tsRun = run(
    latency("TS", [T("raw"), T("protozmq TS→TS", { baseline: "raw" }), T("raw→py"), T("protozmq TS→Py", { baseline: "raw→py" })]),
    { raw: p50(100), "protozmq TS→TS": p50(110), "raw→py": p50(100), "protozmq TS→Py": p50(105) },
  );
  const pyRun = run(latency("Py", [T("raw"), T("protozmq Py→Py", { baseline: "raw" })]), { raw: p50(100), "protozmq Py→Py": p50(130) });
  const mode = (runs: ModeResult["runs"]): ModeResult => ({ mode: "pinned", pythonServer: "Server", runs });
  /** Target, mode, status and the "not run" note of each row of the targets table. */
  const rows = (runsOf: ModeResult["runs"], langs: Lang[]): string[][] =>
    targetsTable(targets([mode(runsOf)], { py: { protozmq: [], protoc: [] } }, langs)).rows.map(([target, m, status, measured]) => [
      target!, m!, status!, measured!.replace(/^.*(not run: )/, "$1"),
    ]);

  it("--langs ts: the TS targets are measured, the cross-language one in part", () => {
    const got = targets([mode([selection, tsRun])], undefined, ["ts"]);
    expect(got.map((t) => [t.target, t.checks.length, t.notRun])).toEqual([
      ["unary p50 ≤ 1.15× raw zeromq.js echo (TS→TS)", 1, undefined],
      ["unary p99 ≤ 1.3× raw zeromq.js echo (TS→TS)", 1, undefined],
      ["TS⇄Python and Py⇄Py p50 ≤ 1.15× raw (same client and server languages)", 1, "Py-client rows (--langs ts)"],
    ]);
    expect(targetsTable(got).rows[2]!.slice(2)).toEqual(["met (part not run)", "✓ TS→Py ipc 64 B 1.05×, not run: Py-client rows (--langs ts)"]);
  });

  it("--langs py: every TS-client target and the TS codec targets are not run, never met or missed", () => {
    expect(rows([selection, pyRun], ["py"])).toEqual([
      ["unary p50 ≤ 1.15× raw zeromq.js echo (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["unary p99 ≤ 1.3× raw zeromq.js echo (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["pipelined throughput ≥ 1.0× raw zeromq.js per call (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: lower p50", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: p99 ≤ 0.3×", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: throughput ≥ 4×", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["TS⇄Python and Py⇄Py p50 ≤ 1.15× raw (same client and server languages)", "pinned", "missed (part not run)", "not run: TS-client rows (--langs py)"],
      ["codec ≥ 1.0× protobufjs static", "-", "not run", "not run: the TS codec (--langs py)"],
      ["codec ≥ 2× @bufbuild/protobuf", "-", "not run", "not run: the TS codec (--langs py)"],
    ]);
  });

  it("both languages: no target says not run", () => {
    const got = targets([mode([selection, tsRun, pyRun])], undefined, ["ts", "py"]);
    expect(got.every((t) => t.notRun === undefined && t.checks.length > 0)).toBe(true);
    expect(got.find((t) => t.target.startsWith("TS⇄Python"))!.checks.map((c) => c.what)).toEqual(["TS→Py ipc 64 B", "Py→Py ipc 64 B"]);
  });
});
