/**
 * The generator's fast paths give the same output as the plain ones: printing structures without
 * parsing them, and the type check spread over worker threads (large runs use them by default,
 * so they are forced here on the fixtures).
 */
import * as fs from "fs";
import * as path from "path";
import { emitTypeScript } from "../../../generator/emit/ts";
import { StructurePrinter, emitFile } from "../../../generator/emit/ts/file";
import { TypeCheckPool, threadsFor, PARALLEL_MIN_BYTES } from "../../../generator/emit/ts/typecheck-pool";
import { checkerFor } from "../../../generator/emit/ts/typecheck";
import { loadModel } from "../../../generator/parse";
import { REPO } from "./helpers";

const SCHEMAS = path.join(REPO, "schemas");

function protosIn(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? protosIn(p) : e.name.endsWith(".proto") ? [p] : [];
  });
}

const model = loadModel(protosIn(SCHEMAS), { includeDirs: [SCHEMAS] });

describe("structure printer", () => {
  test("finds ts-morph's printing context (else every file is printed and parsed again)", () => {
    expect(new StructurePrinter().fast).toBe(true);
  });

  test("prints every fixture module exactly as Project.createSourceFile(...).getFullText() does", () => {
    const fast = new StructurePrinter();
    const slow = new StructurePrinter(false);
    expect(slow.fast).toBe(false);
    for (const name of model.targets) {
      const file = model.file(name);
      expect(emitFile(model, file, "protozmq", fast)).toEqual(emitFile(model, file, "protozmq", slow));
    }
  });
});

describe("type check on worker threads", () => {
  test("small runs and busy machines stay in this thread; large runs use up to one worker per idle CPU", () => {
    expect(threadsFor(100_000, 8, 0)).toBe(1);
    expect(threadsFor(PARALLEL_MIN_BYTES - 1, 8, 0)).toBe(1);
    expect(threadsFor(100 * PARALLEL_MIN_BYTES, 8, 0)).toBe(4);
    expect(threadsFor(100 * PARALLEL_MIN_BYTES, 2, 0.3)).toBe(2);
    expect(threadsFor(100 * PARALLEL_MIN_BYTES, 2, 1.2)).toBe(1);
    expect(threadsFor(100 * PARALLEL_MIN_BYTES, 2, 5)).toBe(1);
    expect(threadsFor(PARALLEL_MIN_BYTES, 8, 0)).toBe(2);
  });

  test("two workers accept the fixtures' output, which is the output of the in-thread run", () => {
    expect(emitTypeScript(model, { typeCheckThreads: 2 })).toEqual(emitTypeScript(model, { typeCheck: false }));
  });

  test("a worker reports what does not compile, with file and line", () => {
    const pool = new TypeCheckPool("protozmq", 2);
    pool.add({ path: "a/good.ts", content: "export const x: number = 1;\n" });
    pool.add({ path: "b/bad.ts", content: "import { x } from \"../a/good.js\";\n\nexport const y: string = x;\n" });
    expect(pool.check()).toEqual(["b/bad.ts:3: Type 'number' is not assignable to type 'string'."]);
    expect(pool.workerErrors).toEqual([]);
  });

  test("the in-thread checker reports the same", () => {
    const files = [
      { path: "a/good.ts", content: "export const x: number = 1;\n" },
      { path: "b/bad.ts", content: "import { x } from \"../a/good.js\";\n\nexport const y: string = x;\n" },
    ];
    expect(checkerFor("protozmq").check(files)).toEqual(["b/bad.ts:3: Type 'number' is not assignable to type 'string'."]);
    expect(checkerFor("protozmq").check(files, new Set(["a/good.ts"]))).toEqual([]);
  });
});
