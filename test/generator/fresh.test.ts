/**
 * Committed generated code must be what the generator produces now: `generated/` (from
 * protozmq.config.json) and the runtime's own `protozmq/options_pb2.py`. `npm run generate` fixes
 * a failure here.
 */
import * as path from "path";
import { checkOutput, generate } from "../../generator/generate";

const REPO = path.join(__dirname, "../..");
const r = (p: string): string => path.join(REPO, p);

test.each([
  ["generated/ (schemas/)", { inputs: [r("schemas")], includeDirs: [r("schemas")], tsOut: r("generated/ts"), pyOut: r("generated/python") }, [r("generated/ts"), r("generated/python")]],
  ["runtime/python/protozmq/options_pb2", {
    inputs: [r("generator/parse/include/protozmq/options.proto")], includeDirs: [r("generator/parse/include")], pyOut: r("runtime/python"),
  }, []],
] as const)("%s is fresh", (_name, options, outDirs) => {
  const files = generate(options);
  expect(files.length).toBeGreaterThan(0);
  expect(checkOutput(files, outDirs)).toEqual({ stale: [], missing: [], orphaned: [] });
});
