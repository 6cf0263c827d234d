#!/usr/bin/env node
/**
 * Test driver: compile `.proto` files with protozmq's Python emitter, straight from the TypeScript
 * sources (no build step, no ts-node: TypeScript's own transpileModule is registered for `.ts`).
 *
 *   node test/generator/python/gen-python.js --out DIR [--descriptors DIR] -I schemas file.proto...
 *
 * Writes `_pb2.py`/`.pyi` to --out and, with --descriptors, each target's FileDescriptorProto in
 * protoc's descriptor-set form (json_name on every field) as `<import name>.pb`, for the pytest
 * comparison against protoc.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};

const root = path.resolve(__dirname, "../../..");
const args = process.argv.slice(2);
let out;
let descriptors;
const includeDirs = [];
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--out") out = args[++i];
  else if (a === "--descriptors") descriptors = args[++i];
  else if (a === "-I") includeDirs.push(args[++i]);
  else if (a.startsWith("-I")) includeDirs.push(a.slice(2));
  else files.push(a);
}
if (out === undefined || files.length === 0) {
  console.error("usage: gen-python.js --out DIR [--descriptors DIR] -I DIR file.proto...");
  process.exit(2);
}

const { loadModel } = require(path.join(root, "generator/parse/index.ts"));
const { emitPython, serializeFileDescriptor } = require(path.join(root, "generator/emit/python/index.ts"));

const write = (file, content) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
};
const model = loadModel(files, { includeDirs });
for (const f of emitPython(model)) write(path.join(out, f.path), f.content);
if (descriptors !== undefined) {
  for (const name of model.targets) {
    write(path.join(descriptors, `${name}.pb`), serializeFileDescriptor(model, name, { jsonNames: "all" }));
  }
}
