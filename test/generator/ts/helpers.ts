/**
 * Shared helpers for the TS emitter tests:
 * - `miniModel`: a tiny hand-built Model (no parser), for unit tests of the emitter itself;
 * - `emitInline`: inline `.proto` text -> parser -> emitter, protobuf-es `createTestPluginAndRun` style;
 * - `loadGenerated`: write generated modules to a temp dir and `require` them (ts-jest compiles them).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emitTypeScript, type EmitTypeScriptOptions } from "../../../generator/emit/ts";
import { createModel } from "../../../generator/model/model";
import { protoJsonName } from "../../../generator/model/names";
import type { Enum, Field, GeneratedFile, Message, Model, ProtoFile, ValueType } from "../../../generator/model/types";
import { loadModel } from "../../../generator/parse";

export const REPO = path.resolve(__dirname, "../../..");

const pos = { file: "mini.proto", line: 1, col: 1 };

/** A field with the defaults a parser would give a proto3 singular field. */
export function field(name: string, number: number, type: ValueType, extra: Partial<Field> = {}): Field {
  return {
    name, number, jsonName: protoJsonName(name), explicitJsonName: false, cardinality: "singular", type,
    proto3Optional: false, packed: false, deprecated: false, jstype: "normal", options: {}, comments: {}, pos,
    ...extra,
  };
}

export const scalar = (s: Extract<ValueType, { kind: "scalar" }>["scalar"]): ValueType => ({ kind: "scalar", scalar: s });

/** A message of file `mini.proto` in package `mini`. */
export function message(name: string, fields: Field[], extra: Partial<Message> = {}): Message {
  return {
    kind: "message", name, fullName: `mini.${name}`, file: "mini.proto", fields, oneofs: [], messages: [], enums: [],
    extensions: [], mapEntry: false, group: false, reservedRanges: [], reservedNames: [], extensionRanges: [],
    deprecated: false, options: {}, comments: {}, pos, ...extra,
  };
}

export function enumOf(name: string, values: [string, number][], extra: Partial<Enum> = {}): Enum {
  return {
    kind: "enum", name, fullName: `mini.${name}`, file: "mini.proto",
    values: values.map(([n, v]) => ({ name: n, number: v, deprecated: false, options: {}, comments: {}, pos })),
    closed: false, allowAlias: false, reservedRanges: [], reservedNames: [], deprecated: false, options: {},
    comments: {}, pos, ...extra,
  };
}

/** A one-file model (`mini.proto`, package `mini`) made of the given messages and enums. */
export function miniModel(messages: Message[], enums: Enum[] = [], syntax: "proto2" | "proto3" = "proto3"): Model {
  const file: ProtoFile = {
    name: "mini.proto", path: "/mini.proto", syntax, package: "mini", imports: [], messages, enums, services: [],
    extensions: [], options: {}, wellKnown: false, comments: {},
  };
  return createModel([file], ["mini.proto"]);
}

/** Parse inline `.proto` files (name -> text) from a temp dir; the first file is the target unless `targets` says otherwise. */
export function inlineModel(files: Record<string, string>, targets?: string[]): Model {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pz-proto-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const wanted = targets ?? [Object.keys(files)[0]!];
  try {
    return loadModel(wanted.map((n) => path.join(dir, n)), { includeDirs: [dir] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Emit inline protos and return the text of the first target's module. */
export function emitInline(files: Record<string, string>, options?: EmitTypeScriptOptions): string {
  const model = inlineModel(files);
  const out = emitTypeScript(model, options);
  const want = `${model.targets[0]!.replace(/\.proto$/, "")}.ts`;
  return out.find((f) => f.path === want)!.content;
}

/** Lines of `text`, trimmed, for `toContain` assertions on single generated lines. */
export function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim());
}

/** Write generated files into a fresh temp dir and require the module at `entry` (path without `.ts`). */
export function loadGenerated<T = Record<string, unknown>>(files: readonly GeneratedFile[], entry: string): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pz-gen-"));
  for (const f of files) {
    const p = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.content);
  }
  try {
    // require() loads the module and everything it imports synchronously, so the files can go after.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(dir, entry)) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Parse fixture files under schemas/ (paths relative to schemas/), emit, and load `entry`. The
 * emitter's self-check is skipped: compile.test.ts type-checks every fixture (twice) already.
 */
export function loadFixture<T = Record<string, unknown>>(protos: string[], entry: string): T {
  const model = loadModel(protos.map((p) => path.join(REPO, "schemas", p)), { includeDirs: [path.join(REPO, "schemas")] });
  return loadGenerated<T>(emitTypeScript(model, { typeCheck: false }), entry);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
