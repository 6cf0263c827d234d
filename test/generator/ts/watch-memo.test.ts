/**
 * `--watch`'s incremental self-check (emit/ts `TypeCheckMemo`): a run type-checks only the modules
 * whose text changed since the last passing run, and every module importing them, and its output
 * is the output of a plain run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TypeCheckMemo, emitTypeScript } from "../../../generator/emit/ts";
import { checkerFor, type ParsedModules } from "../../../generator/emit/ts/typecheck";
import { loadModel } from "../../../generator/parse";

// c imports b imports a; d stands alone.
const PROTOS: Record<string, string> = {
  "a.proto": 'syntax = "proto3";\npackage w;\nmessage A { int32 n = 1; }\n',
  "b.proto": 'syntax = "proto3";\npackage w;\nimport "a.proto";\nmessage B { A a = 1; }\n',
  "c.proto": 'syntax = "proto3";\npackage w;\nimport "b.proto";\nmessage C { B b = 1; }\n',
  "d.proto": 'syntax = "proto3";\npackage w;\nmessage D { string s = 1; }\n',
};

function setUp(): { dir: string; run: (memo: TypeCheckMemo) => { memoed: unknown; plain: unknown } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pz-memo-"));
  for (const [name, text] of Object.entries(PROTOS)) fs.writeFileSync(path.join(dir, name), text);
  const run = (memo: TypeCheckMemo): { memoed: unknown; plain: unknown } => {
    const model = loadModel(Object.keys(PROTOS).map((n) => path.join(dir, n)), { includeDirs: [dir] });
    return { memoed: emitTypeScript(model, { memo }), plain: emitTypeScript(model, { typeCheck: false }) };
  };
  return { dir, run };
}

describe("TypeCheckMemo", () => {
  test("checks everything first, nothing when unchanged, then a change and its importers only", () => {
    const { dir, run } = setUp();
    const memo = new TypeCheckMemo();
    let r = run(memo);
    expect(memo.lastChecked).toBe(4);
    expect(r.memoed).toEqual(r.plain);
    expect(run(memo).memoed).toEqual(r.plain);
    expect(memo.lastChecked).toBe(0);

    // A change in a: a, b (imports a) and c (imports b) are checked again; d is not.
    fs.writeFileSync(path.join(dir, "a.proto"), PROTOS["a.proto"]!.replace("int32 n = 1;", "int32 n = 1; string added = 2;"));
    r = run(memo);
    expect(memo.lastChecked).toBe(3);
    expect(r.memoed).toEqual(r.plain);
    expect(JSON.stringify(r.memoed)).toContain("added");

    // A change in d alone: only d.
    fs.writeFileSync(path.join(dir, "d.proto"), PROTOS["d.proto"]!.replace("string s = 1;", "string s = 1; bool more = 2;"));
    r = run(memo);
    expect(memo.lastChecked).toBe(1);
    expect(r.memoed).toEqual(r.plain);
    // Every module of the last run is remembered, with its parsed source file.
    expect([...memo.passed.keys()].sort()).toEqual(["a.ts", "b.ts", "c.ts", "d.ts"]);
  });

  test("a first run on worker threads fills the memo too", () => {
    const { dir } = setUp();
    const model = loadModel(Object.keys(PROTOS).map((n) => path.join(dir, n)), { includeDirs: [dir] });
    const memo = new TypeCheckMemo();
    const out = emitTypeScript(model, { memo, typeCheckThreads: 2 });
    expect(memo.lastChecked).toBe(4);
    expect(emitTypeScript(model, { memo, typeCheckThreads: 2 })).toEqual(out);
    expect(memo.lastChecked).toBe(0);
  });

  test("a module parsed in an earlier check is reused while its text is the same, and still checked against its changed imports", () => {
    const keep: ParsedModules = new Map();
    const good = { path: "a/good.ts", content: "export const x: number = 1;\n" };
    const user = { path: "b/user.ts", content: 'import { x } from "../a/good.js";\n\nexport const y: number = x;\n' };
    expect(checkerFor("protozmq").check([good, user], undefined, keep)).toEqual([]);
    const parsedUser = keep.get("/gen/b/user.ts")?.sf;
    expect(parsedUser).toBeDefined();
    // good.ts now exports a string: user.ts, unchanged and not parsed again, no longer compiles.
    const changed = { path: "a/good.ts", content: 'export const x: string = "1";\n' };
    expect(checkerFor("protozmq").check([changed, user], new Set(["a/good.ts", "b/user.ts"]), keep)).toEqual([
      "b/user.ts:3: Type 'string' is not assignable to type 'number'.",
    ]);
    expect(keep.get("/gen/b/user.ts")?.sf).toBe(parsedUser);
    expect(keep.get("/gen/a/good.ts")?.text).toBe(changed.content);
  });
});
