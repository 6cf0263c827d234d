/**
 * The protozmq CLI, driven in-process through runCli with captured output: every error case checks its
 * message, and --check / write / --watch are checked against real files in temp directories.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../generator/cli";
import { Checker } from "../../generator/emit/ts/typecheck";

const REPO = path.join(__dirname, "../..");
const BAD = path.join(REPO, "test/generator/bad");

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], opts: { cwd?: string; signal?: AbortSignal } = {}): Promise<Run> {
  let out = "";
  let err = "";
  const prev = process.cwd();
  if (opts.cwd) process.chdir(opts.cwd);
  try {
    const code = await runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) },
      opts.signal ? { signal: opts.signal } : {});
    return { code, out, err };
  } finally {
    process.chdir(prev);
  }
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pzmq-cli-"));
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

const SMALL = {
  "proto/a.proto": 'syntax = "proto3";\npackage demo;\nimport "b/b.proto";\n// An A.\nmessage A { b.B b = 1; int64 n = 2; }\n',
  "proto/b/b.proto": 'syntax = "proto3";\npackage b;\nmessage B { string s = 1; }\n',
};

describe("help and version", () => {
  test("--help lists the command with examples", async () => {
    const r = await cli(["generate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--ts-out");
    expect(r.out).toContain("--check");
    expect(r.out).toContain("Examples:");
  });
  test("--version prints the package version", async () => {
    const r = await cli(["--version"]);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
    expect(r.out.trim()).toBe(pkg.version);
  });
  test("no command is a usage error", async () => {
    const r = await cli([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("give a command");
  });
});

describe("usage errors", () => {
  test("no inputs and no config file", async () => {
    const r = await cli(["generate"], { cwd: tmpdir() });
    expect(r.code).toBe(1);
    expect(r.err).toContain("no input files");
  });
  test("no output directory", async () => {
    const dir = tmpdir();
    writeFiles(dir, SMALL);
    const r = await cli(["generate", "proto", "-I", "proto"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain("give --ts-out and/or --py-out");
  });
  test("--check with --watch", async () => {
    const r = await cli(["generate", "x.proto", "--py-out", "o", "--check", "--watch"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--check and --watch cannot be used together");
  });
  test("a config file with an unknown key", async () => {
    const dir = tmpdir();
    writeFiles(dir, { "protozmq.config.json": '{"inputs": ["p"], "tsout": "x"}' });
    const r = await cli(["generate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain('protozmq.config.json: unknown config key "tsout"');
  });
  test("a config file that is not JSON", async () => {
    const dir = tmpdir();
    writeFiles(dir, { "protozmq.config.json": "{ inputs: " });
    const r = await cli(["generate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/protozmq\.config\.json: cannot read config/);
  });
  test("a missing input file", async () => {
    const dir = tmpdir();
    const r = await cli(["generate", "nope.proto", "--py-out", "out"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain("nope.proto:1:1: file not found");
  });
});

describe("schema errors print file:line:col and exit 1 without a stack trace", () => {
  const cases: Array<[string, string]> = [
    ["bad_import.proto", 'test/generator/bad/bad_import.proto:7:1: import "does/not/exist.proto" not found (searched -I test/generator/bad)'],
    ["duplicate_field_name.proto", 'test/generator/bad/duplicate_field_name.proto:9:3: "value" is already defined in Box'],
    ["duplicate_field_number.proto", "test/generator/bad/duplicate_field_number.proto:9:3: field number 1 is already used in Pair"],
    ["edition_2023.proto", 'test/generator/bad/edition_2023.proto:4:1: editions (edition = "2023") are not supported yet; use syntax = "proto3" or "proto2"'],
    ["field_number_reserved_range.proto", 'test/generator/bad/field_number_reserved_range.proto:9:3: field number 19000 of field "bad" in protozmq.bad.field_number_reserved_range.Internal is in 19000-19999, reserved for the protobuf implementation'],
    ["field_number_zero.proto", 'test/generator/bad/field_number_zero.proto:7:3: field number 0 of field "nothing" in protozmq.bad.field_number_zero.Zero is out of range: must be 1 to 536870911'],
    ["import_cycle_a.proto", "test/generator/bad/import_cycle_b.proto:7:1: import cycle: import_cycle_a.proto -> import_cycle_b.proto -> import_cycle_a.proto"],
    ["json_name_conflict.proto", 'test/generator/bad/json_name_conflict.proto:9:3: the JSON name "first" of field "second" in protozmq.bad.json_name_conflict.Clash conflicts with field "first"'],
    ["map_float_key.proto", 'test/generator/bad/map_float_key.proto:8:7: map key type "float" is not allowed: keys must be an integer type, bool or string'],
    ["proto3_enum_first_nonzero.proto", "test/generator/bad/proto3_enum_first_nonzero.proto:8:3: the first value of proto3 enum protozmq.bad.proto3_enum_first_nonzero.Level must be zero (it is the default)"],
    ["proto3_group.proto", "test/generator/bad/proto3_group.proto:8:3: groups are not allowed in proto3; use a nested message field instead"],
    ["reserved_name.proto", 'test/generator/bad/reserved_name.proto:10:3: field name "old_name" is reserved in Renamed'],
    ["reserved_number.proto", "test/generator/bad/reserved_number.proto:10:3: field number 3 is reserved in Versioned"],
    ["syntax_error.proto", 'test/generator/bad/syntax_error.proto:10:3: unexpected "string" (expected ";")'],
    ["unknown_type.proto", 'test/generator/bad/unknown_type.proto:9:3: unknown type "User" for field "owner"'],
  ];

  test("every bad schema has a case", () => {
    const files = fs.readdirSync(BAD).filter((f) => f.endsWith(".proto") && f !== "import_cycle_b.proto");
    expect(files.sort()).toEqual(cases.map((c) => c[0]).sort());
  });

  test.each(cases)("%s", async (file, expected) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pzmq-bad-"));
    const r = await cli(["generate", path.relative(REPO, path.join(BAD, file)), "-I", "test/generator/bad", "--py-out", out], { cwd: REPO });
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe(expected);
    expect(r.err).toMatch(/protozmq: \d+ errors?\n$/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readdirSync(out)).toEqual([]); // nothing written
  });

  test("all errors of a run are reported together", async () => {
    const r = await cli(["generate", "test/generator/bad/unknown_type.proto", "test/generator/bad/reserved_name.proto",
      "-I", "test/generator/bad", "--py-out", tmpdir()], { cwd: REPO });
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown_type.proto:9:3");
    expect(r.err).toContain("reserved_name.proto:10:3");
    expect(r.err).toContain("protozmq: 2 errors");
  });
});

describe("generate, --check and orphans", () => {
  test("writes, then --check passes; a stale, a missing and an orphaned file fail --check", async () => {
    const dir = tmpdir();
    writeFiles(dir, SMALL);
    const args = ["generate", "proto", "-I", "proto", "--ts-out", "gen/ts", "--py-out", "gen/py"];
    const first = await cli(args, { cwd: dir });
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    for (const f of ["gen/ts/a.ts", "gen/ts/b/b.ts", "gen/py/a_pb2.py", "gen/py/a_pb2.pyi", "gen/py/b/b_pb2.py"]) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    expect((await cli([...args, "--check"], { cwd: dir })).code).toBe(0);

    // A second run writes nothing (unchanged files are not touched).
    const mtime = fs.statSync(path.join(dir, "gen/ts/a.ts")).mtimeMs;
    const again = await cli(args, { cwd: dir });
    expect(again.out).toContain("(0 written, 0 removed)");
    expect(fs.statSync(path.join(dir, "gen/ts/a.ts")).mtimeMs).toBe(mtime);

    fs.appendFileSync(path.join(dir, "gen/ts/a.ts"), "// edited\n");
    fs.rmSync(path.join(dir, "gen/py/b/b_pb2.pyi"));
    const orphan = path.join(dir, "gen/py/old_pb2.py");
    fs.writeFileSync(orphan, "# -*- coding: utf-8 -*-\n# Code generated by protozmq. DO NOT EDIT.\n# source: old.proto\n");
    const userFile = path.join(dir, "gen/py/handwritten.py");
    fs.writeFileSync(userFile, "x = 1\n");
    const check = await cli([...args, "--check"], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.err).toContain(`missing: ${path.join("gen/py/b/b_pb2.pyi")}`);
    expect(check.err).toContain(`stale: ${path.join("gen/ts/a.ts")}`);
    expect(check.err).toContain(`orphaned: ${path.join("gen/py/old_pb2.py")}`);
    expect(check.err).not.toContain("handwritten");
    expect(check.err).toContain("3 generated file(s) out of date");

    // Writing repairs all three and leaves files protozmq did not generate alone.
    const fix = await cli(args, { cwd: dir });
    expect(fix.out).toContain("(2 written, 1 removed)");
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(userFile)).toBe(true);
    expect((await cli([...args, "--check"], { cwd: dir })).code).toBe(0);
  });

  test("--no-type-check (or \"typeCheck\": false in the config) writes the same files without the in-memory check", async () => {
    const checks = jest.spyOn(Checker.prototype, "check");
    const dir = tmpdir();
    writeFiles(dir, SMALL);
    const checked = await cli(["generate", "proto", "-I", "proto", "--ts-out", "checked"], { cwd: dir });
    expect(checked.code).toBe(0);
    expect(checks).toHaveBeenCalled();
    checks.mockClear();
    const unchecked = await cli(["generate", "proto", "-I", "proto", "--ts-out", "unchecked", "--no-type-check"], { cwd: dir });
    expect(unchecked.code).toBe(0);
    expect(checks).not.toHaveBeenCalled();
    for (const f of ["a.ts", "b/b.ts"]) {
      expect(fs.readFileSync(path.join(dir, "unchecked", f), "utf8")).toBe(fs.readFileSync(path.join(dir, "checked", f), "utf8"));
    }
    writeFiles(dir, { "protozmq.config.json": JSON.stringify({ inputs: ["proto"], include: ["proto"], tsOut: "cfg", typeCheck: false }) });
    expect((await cli(["generate"], { cwd: dir })).code).toBe(0);
    expect(checks).not.toHaveBeenCalled();
    expect(fs.existsSync(path.join(dir, "cfg/a.ts"))).toBe(true);
    checks.mockRestore();
  });

  test("a config file whose typeCheck is not a boolean", async () => {
    const dir = tmpdir();
    writeFiles(dir, { ...SMALL, "protozmq.config.json": JSON.stringify({ inputs: ["proto"], tsOut: "x", typeCheck: "no" }) });
    const r = await cli(["generate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain('protozmq.config.json: "typeCheck" must be true or false');
  });

  test("a bare `protozmq generate` uses protozmq.config.json, paths relative to it", async () => {
    const dir = tmpdir();
    writeFiles(dir, { ...SMALL, "protozmq.config.json": JSON.stringify({ inputs: ["proto"], include: ["proto"], pyOut: "out/py" }) });
    const r = await cli(["generate"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(dir, "out/py/a_pb2.py"))).toBe(true);
    // Given files on the command line, the config file is not used (no pyOut -> usage error).
    const explicit = await cli(["generate", "proto/a.proto", "-I", "proto"], { cwd: dir });
    expect(explicit.code).toBe(1);
    expect(explicit.err).toContain("give --ts-out and/or --py-out");
  });

  test("--watch regenerates after a schema changes, and stops on abort", async () => {
    const dir = tmpdir();
    writeFiles(dir, SMALL);
    expect((await cli(["generate", "proto", "-I", "proto", "--py-out", "gen"], { cwd: dir })).code).toBe(0);
    const w = watchIn(dir, ["generate", "proto", "-I", "proto", "--py-out", "gen"]);
    try {
      await waitFor(() => w.output().includes("watching"), 5000);
      fs.writeFileSync(path.join(dir, "proto/b/b.proto"), 'syntax = "proto3";\npackage b;\nmessage B { string s = 1; int32 added = 2; }\n');
      await waitFor(() => fs.readFileSync(path.join(dir, "gen/b/b_pb2.pyi"), "utf8").includes("added"), 10000);
      expect(w.output()).toContain("change detected, regenerating");
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });

  test("--watch with --ts-out type-checks only the changed module and its importers after the first pass", async () => {
    const dir = tmpdir();
    writeFiles(dir, SMALL);
    const w = watchIn(dir, ["generate", "proto", "-I", "proto", "--ts-out", "gen"]);
    try {
      await waitFor(() => w.output().includes("watching"), 20000);
      expect(w.output()).toContain("protozmq: 2 files (2 written, 0 removed, 2 TS modules type-checked)");
      // b.proto changes: b.ts and a.ts (which imports it) are checked again.
      fs.writeFileSync(path.join(dir, "proto/b/b.proto"), 'syntax = "proto3";\npackage b;\nmessage B { string s = 1; int32 added = 2; }\n');
      await waitFor(() => w.output().includes("1 written"), 20000);
      expect(fs.readFileSync(path.join(dir, "gen/b/b.ts"), "utf8")).toContain("added");
      expect(w.output()).toContain("protozmq: 2 files (1 written, 0 removed, 2 TS modules type-checked)");
    } finally {
      expect(await w.stop()).toBe(0);
    }
  }, 60_000);
});

/**
 * Runs `argv` with `--watch` in `dir`, capturing its output. `stop()` aborts it, restores the
 * working directory (the watcher resolves paths against the one it started in) and resolves to
 * the exit code.
 */
function watchIn(dir: string, argv: string[]): { output: () => string; stop: () => Promise<number> } {
  const controller = new AbortController();
  let out = "";
  const prev = process.cwd();
  process.chdir(dir);
  const watching = runCli([...argv, "--watch"], { out: (t) => (out += `${t}\n`), err: (t) => (out += `${t}\n`) }, { signal: controller.signal });
  return {
    output: () => out,
    stop: () => {
      controller.abort();
      process.chdir(prev);
      return watching;
    },
  };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
