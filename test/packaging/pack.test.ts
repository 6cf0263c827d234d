/**
 * What `npm pack` ships (package.json "files"), and that it is enough: the installed command,
 * run from a copy of exactly the packed files, generates TS (type-checked against the packed
 * runtime declarations) and Python from a schema that imports a well-known type.
 *
 * The package is listed with `--ignore-scripts` (no rebuild here): `dist/` is the one `npm ci`
 * built through the `prepare` script, as in the published tarball.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.join(__dirname, "../..");

function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO, encoding: "utf8" });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}

const files = packedFiles();

describe("npm package contents", () => {
  test("has the command, the compiled generator and runtime with declarations, the bundled protos and the Python runtime", () => {
    for (const f of [
      "bin/protozmq.js",
      "dist/generator/cli.js",
      "dist/runtime/ts/src/index.js",
      "dist/runtime/ts/src/index.d.ts",
      "generator/parse/include/google/protobuf/timestamp.proto",
      "generator/parse/include/protozmq/options.proto",
      "runtime/python/pyproject.toml",
      "runtime/python/protozmq/__init__.py",
      "runtime/python/protozmq/py.typed",
      "README.md",
      "LICENSE",
      "package.json",
    ]) {
      expect(files).toContain(f);
    }
  });

  test("leaves out tests, benchmarks, fixtures, examples, sources and caches", () => {
    const stray = files.filter((f) =>
      /^(test|bench|schemas|generated|examples|scripts|\.ci)\//.test(f)
      || /^(generator|runtime\/ts)\/.*\.ts$/.test(f)
      || /__pycache__|\.egg-info|\.pyc$/.test(f)
      || f.startsWith("docs/benchmarks/"));
    expect(stray).toEqual([]);
  });

  test("the packed files alone generate TS and Python", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pz-pack-"));
    const pkg = path.join(dir, "node_modules", "protozmq");
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(pkg, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO, f), path.join(pkg, f));
    }
    // The package's own dependencies (ts-morph, protobufjs, ...), as npm would install them.
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(pkg, "node_modules"));
    fs.mkdirSync(path.join(dir, "proto"));
    fs.writeFileSync(path.join(dir, "proto", "hello.proto"), [
      'syntax = "proto3";',
      "package hello;",
      'import "google/protobuf/timestamp.proto";',
      "// Greets.",
      "service Greeter { rpc Hi(HiRequest) returns (HiReply); }",
      "message HiRequest { string name = 1; google.protobuf.Timestamp at = 2; }",
      "message HiReply { string text = 1; }",
      "",
    ].join("\n"));
    const out = execFileSync(process.execPath, [path.join(pkg, "bin", "protozmq.js"), "generate", "proto", "-I", "proto", "--ts-out", "ts", "--py-out", "py"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(out).toContain("protozmq: ");
    expect(fs.readFileSync(path.join(dir, "ts", "hello.ts"), "utf8")).toContain("export class GreeterClient");
    expect(fs.existsSync(path.join(dir, "ts", "google", "protobuf", "timestamp.ts"))).toBe(true);
    expect(fs.readFileSync(path.join(dir, "py", "hello_pzmq.py"), "utf8")).toContain("class GreeterClient");
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
