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
      ["pipelined throughput ≥ 1.0× raw pyzmq echo per call (Py→Py)", 0, "Py-client rows (--langs ts)"],
      ["pipelined throughput ≥ 1.0× raw pyzmq→zeromq.js per call (Py→TS)", 0, "Py-client rows (--langs ts)"],
      ["TS⇄Python and Py⇄Py p50 ≤ 1.15× raw (same client and server languages)", 1, "Py-client rows (--langs ts)"],
    ]);
    expect(targetsTable(got).rows[4]!.slice(2)).toEqual(["met (part not run)", "✓ TS→Py ipc 64 B 1.05×, not run: Py-client rows (--langs ts)"]);
  });

  it("--langs py: every TS-client target and the TS codec targets are not run, never met or missed", () => {
    expect(rows([selection, pyRun], ["py"])).toEqual([
      ["unary p50 ≤ 1.15× raw zeromq.js echo (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["unary p99 ≤ 1.3× raw zeromq.js echo (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["pipelined throughput ≥ 1.0× raw zeromq.js per call (TS→TS)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["pipelined throughput ≥ 1.0× raw zeromq.js→pyzmq per call (TS→Py)", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: lower p50", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: p99 ≤ 0.3×", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["vs grpc-js: throughput ≥ 4×", "pinned", "not run", "not run: TS-client rows (--langs py)"],
      ["TS⇄Python and Py⇄Py p50 ≤ 1.15× raw (same client and server languages)", "pinned", "missed (part not run)", "not run: TS-client rows (--langs py)"],
      ["codec ≥ 1.0× protobufjs static", "-", "not run", "not run: the TS codec (--langs py)"],
      ["codec ≥ 2× @bufbuild/protobuf", "-", "not run", "not run: the TS codec (--langs py)"],
    ]);
  });

  it("tracks the Python pairs' pipelined throughput against their same-run raw baselines", () => {
    const tput = (client: string, targets: Target[], cps: Record<string, number>): ModeResult["runs"][number] =>
      run(
        { kind: "throughput", client, group: `${client} throughput ipc 64`, size: 64, rounds: 1, depths: [1, 16, 64, 256], seconds: 1, targets },
        Object.fromEntries(Object.entries(cps).map(([key, v]) => [key, [{ cps: v }]])),
      );
    const depths = (id: string, ...v: number[]): Record<string, number> =>
      Object.fromEntries([1, 16, 64, 256].map((d, i) => [`${id}@${d}`, v[i]!]));
    const tsTput = tput("TS", [T("raw→py"), T("protozmq TS→Py", { baseline: "raw→py" })], {
      ...depths("raw→py", 10, 70, 100, 120), ...depths("protozmq TS→Py", 5, 63, 93, 130),
    });
    const pyTput = tput("Py", [T("raw"), T("protozmq Py→Py", { baseline: "raw" }), T("raw→ts"), T("protozmq Py→TS", { baseline: "raw→ts" })], {
      ...depths("raw", 10, 75, 110, 120), ...depths("protozmq Py→Py", 8, 75, 120, 130),
      ...depths("raw→ts", 10, 78, 134, 150), ...depths("protozmq Py→TS", 8, 61, 140, 150),
    });
    const table = targetsTable(targets([mode([selection, tsRun, pyRun, tsTput, pyTput])], undefined, ["ts", "py"]));
    expect(table.rows.filter((r) => /\((TS→Py|Py→Py|Py→TS)\)$/.test(r[0]!)).map((r) => r.slice(0, 1).concat(r.slice(2)))).toEqual([
      ["pipelined throughput ≥ 1.0× raw zeromq.js→pyzmq per call (TS→Py)", "1/3 met", "✗ N=16 0.90×, ✗ N=64 0.93×, ✓ N=256 1.08×"],
      ["pipelined throughput ≥ 1.0× raw pyzmq echo per call (Py→Py)", "met", "✓ N=16 1.00×, ✓ N=64 1.09×, ✓ N=256 1.08×"],
      ["pipelined throughput ≥ 1.0× raw pyzmq→zeromq.js per call (Py→TS)", "2/3 met", "✗ N=16 0.78×, ✓ N=64 1.04×, ✓ N=256 1.00×"],
    ]);
  });

  it("both languages: no target says not run", () => {
    const got = targets([mode([selection, tsRun, pyRun])], undefined, ["ts", "py"]);
    expect(got.every((t) => t.notRun === undefined && t.checks.length > 0)).toBe(true);
    expect(got.find((t) => t.target.startsWith("TS⇄Python"))!.checks.map((c) => c.what)).toEqual(["TS→Py ipc 64 B", "Py→Py ipc 64 B"]);
  });
});
