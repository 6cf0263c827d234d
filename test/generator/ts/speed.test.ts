/**
 * The generator's fast paths give the same output as the plain ones: printing structures without
 * parsing them.
 */
import * as fs from "fs";
import * as path from "path";
import { StructurePrinter, emitFile } from "../../../generator/emit/ts/file";
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
