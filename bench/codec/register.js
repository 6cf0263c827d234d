// Scratch require hook for benchmarks: run the TS sources (generator, runtime, generated code)
// directly with `typescript.transpileModule`, resolving `.js` import suffixes to `.ts` files and
// "protozmq" to the runtime sources. Not used by tests.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const ts = require("typescript");

const RUNTIME = path.resolve(__dirname, "../../runtime/ts/src/index.ts");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === "protozmq") return RUNTIME;
  if (parent && parent.filename && parent.filename.endsWith(".ts") && request.startsWith(".")) {
    const base = path.resolve(path.dirname(parent.filename), request);
    for (const c of [base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")]) {
      if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
    }
  }
  return resolve.call(this, request, parent, ...rest);
};
require.extensions[".ts"] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
