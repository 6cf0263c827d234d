/**
 * The parse stage: model shape on the real fixtures, and one test per schema error with its exact
 * `file:line:col: message`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadModel } from "../../generator/parse";
import { SchemaError, formatDiagnostic } from "../../generator/model/diagnostics";
import { allTypes } from "../../generator/model/model";
import type { Message } from "../../generator/model/types";
import { formatG, simpleDtoa, simpleFtoa } from "../../generator/parse/defaults";
import { expandInputs } from "../../generator/inputs";

const SCHEMAS = path.join(__dirname, "../../schemas");

function tmpProtos(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzmq-parse-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Load inline files and return the diagnostics as `name:line:col: message` (file names relative to the tmp dir). */
function errorsOf(files: Record<string, string>, entry = Object.keys(files)[0]!): string[] {
  const dir = tmpProtos(files);
  try {
    loadModel([path.join(dir, entry)], { includeDirs: [dir] });
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    return e.diagnostics.map((d) => formatDiagnostic({ ...d, file: path.relative(dir, path.resolve(d.file)) }));
  }
  return [];
}

describe("parse: fixtures", () => {
  const model = loadModel(expandInputs([SCHEMAS]), { includeDirs: [SCHEMAS] });

  test("every fixture file is a target, well-known types are loaded as dependencies", () => {
    const onDisk = expandInputs([SCHEMAS]).map((p) => path.relative(SCHEMAS, p).split(path.sep).join("/"));
    expect([...model.targets].sort()).toEqual(onDisk.sort());
    const timestamp = model.file("google/protobuf/timestamp.proto");
    expect(timestamp.wellKnown).toBe(true);
    expect(model.message("google.protobuf.Timestamp").fields.map((f) => f.name)).toEqual(["seconds", "nanos"]);
  });

  test("dependencies come before dependents", () => {
    const index = new Map(model.files.map((f, i) => [f.name, i]));
    for (const f of model.files) for (const imp of f.imports) expect(index.get(imp.name)!).toBeLessThan(index.get(f.name)!);
  });

  test("every field reference resolves to a type in the model", () => {
    for (const f of model.files) {
      for (const t of allTypes(f)) {
        if (t.kind !== "message") continue;
        for (const field of t.fields) {
          const vt = field.map ? field.map.value : field.type;
          if (vt.kind !== "scalar") expect(model.lookup(vt.typeName)?.kind).toBe(vt.kind);
        }
      }
    }
  });

  test("map fields get protoc-named entry messages in declaration order", () => {
    const maps = [...model.file("maps/maps.proto").messages].sort(
      (a, b) => b.fields.filter((f) => f.map).length - a.fields.filter((f) => f.map).length)[0]!;
    const mapFields = maps.fields.filter((f) => f.cardinality === "map");
    expect(mapFields.length).toBeGreaterThan(5);
    for (const f of mapFields) {
      const entry = maps.messages.find((m) => m.name === f.map!.entryName)!;
      expect(entry.mapEntry).toBe(true);
      expect(entry.fields.map((x) => [x.name, x.number])).toEqual([["key", 1], ["value", 2]]);
    }
  });

  test("proto3 optional fields get synthetic oneofs after the real ones", () => {
    for (const t of allTypes(model.file("optional/optional.proto"))) {
      if (t.kind !== "message") continue;
      const firstSynthetic = t.oneofs.findIndex((o) => o.synthetic);
      if (firstSynthetic < 0) continue;
      expect(t.oneofs.slice(firstSynthetic).every((o) => o.synthetic)).toBe(true);
      for (const o of t.oneofs.filter((x) => x.synthetic)) {
        expect(o.name).toBe(`_${o.fields[0]}`);
        const f = t.fields.find((x) => x.name === o.fields[0])!;
        expect(f.proto3Optional).toBe(true);
        expect(f.cardinality).toBe("optional");
        expect(f.oneof).toBeUndefined();
      }
    }
  });

  test("proto2 defaults are spelled as protoc stores them", () => {
    const msg = allTypes(model.file("proto2/proto2.proto"))
      .find((t): t is Message => t.kind === "message" && t.fields.some((f) => f.name === "int64_value"));
    expect(msg).toBeDefined();
    const d = new Map(msg!.fields.map((f) => [f.name, f.defaultText]));
    expect(d.get("int64_value")).toBe("-9223372036854775808");
    expect(d.get("uint64_value")).toBe("18446744073709551615");
    expect(d.get("fixed32_value")).toBe(String(0xdeadbeef));
    expect(d.get("fixed64_value")).toBe(String(0o777));
    expect(d.get("float_inf")).toBe("inf");
    expect(d.get("float_neg_inf")).toBe("-inf");
    expect(d.get("double_nan")).toBe("nan");
    expect(d.get("double_exp")).toBe("1e-10");
    expect(d.get("bytes_value")).toBe("\\000\\001\\377abc");
    expect(d.get("no_default_int")).toBeUndefined();
  });

  test("a field named __proto__ survives parsing (protobufjs would drop it)", () => {
    const names = allTypes(model.file("name_clash/name_clash.proto")).flatMap((t) => (t.kind === "message" ? t.fields.map((f) => f.name) : []));
    expect(names).toEqual(expect.arrayContaining(["__proto__", "constructor", "toString", "hasOwnProperty", "class", "None", "self"]));
  });

  test("proto2 required fields stay required", () => {
    const required = allTypes(model.file("proto2/proto2.proto")).flatMap((t) => (t.kind === "message" ? t.fields.filter((f) => f.cardinality === "required") : []));
    expect(required.length).toBeGreaterThan(0);
  });

  test("groups become a nested group message and a lower-cased field", () => {
    const groups = allTypes(model.file("proto2/proto2.proto")).filter((t) => t.kind === "message" && t.group);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      const parent = model.message(g.parent!);
      const field = parent.fields.find((f) => f.type.kind === "message" && f.type.typeName === g.fullName)!;
      expect(field.name).toBe(g.name.toLowerCase());
      expect(field.type).toEqual({ kind: "message", typeName: g.fullName, group: true });
    }
  });

  test("imports keep their kind and positions; comments are carried", () => {
    const reexport = model.file("imports/public_reexport.proto");
    expect(reexport.imports.some((i) => i.kind === "public" && i.name === "imports/base/common.proto")).toBe(true);
    for (const i of reexport.imports) expect(i.pos.line).toBeGreaterThan(1);
    const commented = allTypes(model.file("comments/comments.proto"));
    expect(commented.some((t) => (t.comments.leading ?? "").length > 0)).toBe(true);
    expect(model.file("comments/comments.proto").comments.leading).toBeDefined();
  });

  test("trailing comments are carried next to leading ones, on every kind of declaration", () => {
    const file = model.file("comments/comments.proto");
    const svc = file.services.find((s) => s.name === "Commenter")!;
    expect(svc.comments).toEqual({ leading: "Leading comment of the service `Commenter`.", trailing: "Trailing comment of `Commenter`." });
    const [get, stream] = svc.methods;
    expect(get!.comments).toEqual({ leading: "Leading comment of the method `Get`.", trailing: "Trailing comment of `Get`." });
    expect(stream!.comments.trailing).toBe("Trailing comment of `Stream`.");
    const doc = file.messages.find((m) => m.name === "Documented")!;
    expect(doc.comments.trailing).toBe("Trailing comment of `Documented`, after the brace.");
    expect(doc.fields.find((f) => f.name === "id")!.comments).toEqual({ leading: "Leading comment of `id`.", trailing: "Trailing comment of `id`." });
    expect(doc.fields.find((f) => f.name === "name")!.comments.trailing).toBe("Trailing block comment of `name`.");
    const state = doc.enums[0]!;
    expect(state.comments.trailing).toBe("Trailing comment of `State`.");
    // Without a leading comment, protobufjs already hands the trailing one over: it is kept once, as trailing.
    expect(state.values.find((v) => v.name === "STATE_READY")!.comments).toEqual({ trailing: "Trailing comment of `STATE_READY`." });
  });

  test("a trailing comment belongs to the declaration whose `;` or `{` it follows on the same line", () => {
    const dir = tmpProtos({
      "t.proto": [
        `syntax = "proto3";`,
        `service S { // after the brace`,
        `  rpc A(M) returns (M); /* block, after the semicolon */`,
        `  rpc B(M) returns (M) { option deprecated = true; } // after a one-line body: no head comment`,
        `  // leading of C`,
        `  rpc C(M) returns (M) {`,
        `  }`,
        `}`,
        `message M { int32 x = 1 [deprecated = true]; // after the options`,
        `  int32 y = 2; }`,
      ].join("\n"),
    });
    try {
      const file = loadModel([path.join(dir, "t.proto")], { includeDirs: [dir] }).file("t.proto");
      const s = file.services[0]!;
      expect(s.comments).toEqual({ trailing: "after the brace" });
      expect(s.methods.map((m) => m.comments)).toEqual([
        { trailing: "block, after the semicolon" }, {}, { leading: "leading of C" },
      ]);
      expect(file.messages[0]!.comments).toEqual({});
      expect(file.messages[0]!.fields.map((f) => f.comments)).toEqual([{ trailing: "after the options" }, {}]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("positions point at declarations", () => {
    const file = model.file("scalars/scalars.proto");
    const text = fs.readFileSync(path.join(SCHEMAS, "scalars/scalars.proto"), "utf8").split("\n");
    const msg = file.messages[0]!;
    expect(text[msg.pos.line - 1]!.slice(msg.pos.col - 1)).toMatch(new RegExp(`^message\\s+${msg.name}\\b`));
    for (const f of msg.fields) expect(text[f.pos.line - 1]!.slice(f.pos.col - 1)).toContain(` ${f.name} = ${f.number}`);
  });
});

describe("parse: extensions", () => {
  test("extension fields stay in their declaring scope and do not leak into the extended message", () => {
    const dir = tmpProtos({
      "e.proto": 'syntax = "proto2";\npackage p;\nmessage Base {\n  optional int32 a = 1;\n  extensions 100 to max;\n}\n' +
        "extend Base {\n  optional string note = 100;\n}\nmessage Scope {\n  extend Base { optional int32 inner = 101; }\n}\n" +
        "message Set {\n  option message_set_wire_format = true;\n  extensions 4 to max;\n}\n",
    });
    const model = loadModel([path.join(dir, "e.proto")], { includeDirs: [dir] });
    expect(model.message("p.Base").fields.map((f) => f.name)).toEqual(["a"]);
    expect(model.message("p.Base").extensionRanges).toEqual([{ start: 100, end: 536870911 }]);
    expect(model.file("e.proto").extensions.map((e) => [e.name, e.extendee, e.number])).toEqual([["note", "p.Base", 100]]);
    expect(model.message("p.Scope").extensions.map((e) => [e.name, e.scope])).toEqual([["inner", "p.Scope"]]);
    // protoc: `max` is INT32_MAX (exclusive) for message sets.
    expect(model.message("p.Set").extensionRanges).toEqual([{ start: 4, end: 2147483646 }]);
  });
});

describe("parse: errors name file:line:col", () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ["unknown type", { "a.proto": 'syntax = "proto3";\nmessage A {\n  Missing m = 1;\n}\n' },
      ['a.proto:3:3: unknown type "Missing" for field "m"']],
    ["duplicate field number, and more errors after it", {
      "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n  int32 b = 1;\n  Nope c = 2;\n}\n',
    }, ["a.proto:4:3: field number 1 is already used in A", 'a.proto:5:3: unknown type "Nope" for field "c"']],
    ["duplicate field name", { "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n  string a = 2;\n}\n' },
      ['a.proto:4:3: "a" is already defined in A']],
    ["missing import", { "a.proto": 'syntax = "proto3";\nimport "nowhere/b.proto";\nmessage A {}\n' },
      [expect.stringMatching(/^a\.proto:2:1: import "nowhere\/b\.proto" not found \(searched -I .+\)$/) as unknown as string]],
    ["import cycle", {
      "a.proto": 'syntax = "proto3";\nimport "b.proto";\nmessage A {}\n',
      "b.proto": 'syntax = "proto3";\nimport "a.proto";\nmessage B {}\n',
    }, ["b.proto:2:1: import cycle: a.proto -> b.proto -> a.proto"]],
    ["type from a file that is not imported", {
      "a.proto": 'syntax = "proto3";\nimport "b.proto";\nmessage A { C c = 1; }\n',
      "b.proto": 'syntax = "proto3";\nimport "c.proto";\nmessage B {}\n',
      "c.proto": 'syntax = "proto3";\nmessage C {}\n',
    }, ['a.proto:3:13: "C" is defined in "c.proto", which is not imported by "a.proto"; add: import "c.proto";']],
    ["syntax error", { "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 a = 1\n  int32 b = 2;\n}\n' },
      ['a.proto:4:3: unexpected "int32" (expected ";")']],
    ["reserved number and name", {
      "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n  int32 b = 5;\n  int32 gone = 6;\n  reserved 5;\n  reserved "gone";\n}\n',
    }, ['a.proto:4:3: field number 5 of field "b" in A is reserved', 'a.proto:5:3: field name "gone" is reserved in A']],
    ["editions", { "a.proto": 'edition = "2023";\nmessage A {}\n' },
      ['a.proto:1:1: editions (edition = "2023") are not supported yet; use syntax = "proto3" or "proto2"']],
    ["proto3 enum without zero first", { "a.proto": 'syntax = "proto3";\nenum E {\n  ONE = 1;\n}\n' },
      ["a.proto:3:3: the first value of proto3 enum E must be zero (it is the default)"]],
    ["field number 0 and implementation range", {
      "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 a = 0;\n  int32 b = 19500;\n}\n',
    }, [expect.stringMatching(/^a\.proto:3:3: .*(out of range|illegal|invalid).*/) as unknown as string,
      'a.proto:4:3: field number 19500 of field "b" in A is in 19000-19999, reserved for the protobuf implementation']],
    ["json name conflict", { "a.proto": 'syntax = "proto3";\nmessage A {\n  int32 foo_bar = 1;\n  int32 fooBar = 2;\n}\n' },
      ['a.proto:4:3: the JSON name "fooBar" of field "fooBar" in A conflicts with field "foo_bar"']],
    ["float map key", { "a.proto": 'syntax = "proto3";\nmessage A {\n  map<float, int32> m = 1;\n}\n' },
      ['a.proto:3:7: map key type "float" is not allowed: keys must be an integer type, bool or string']],
    ["enum alias without allow_alias", { "a.proto": 'syntax = "proto3";\nenum E {\n  A = 0;\n  B = 0;\n}\n' },
      ["a.proto:4:3: enum value number 0 is already used in E; set option allow_alias = true; to allow aliases"]],
    ["default in proto3", { "a.proto": 'syntax = "proto3";\nmessage A {\n  optional int32 a = 1 [default = 3];\n}\n' },
      [expect.stringMatching(/^a\.proto:3:3: .*default.*proto3/) as unknown as string]],
    ["closed enum in proto3", {
      "a.proto": 'syntax = "proto3";\nimport "b.proto";\nmessage A {\n  E e = 1;\n}\n',
      "b.proto": 'syntax = "proto2";\nenum E {\n  X = 1;\n}\n',
    }, ["a.proto:4:3: enum E is a proto2 (closed) enum and cannot be used in proto3 field \"e\" in A"]],
    ["bad enum default", {
      "a.proto": 'syntax = "proto2";\nenum E { X = 1; }\nmessage A {\n  optional E e = 1 [default = Y];\n}\n',
    }, ['a.proto:4:3: default "Y" is not a value of enum E (field "e" in A)']],
    ["int default out of range", {
      "a.proto": 'syntax = "proto2";\nmessage A {\n  optional int32 a = 1 [default = 3000000000];\n}\n',
    }, ['a.proto:3:3: default 3000000000 is out of range for int32 (field "a")']],
  ];
  test.each(cases)("%s", (_name, files, expected) => {
    const entries = Object.keys(files);
    const errors = errorsOf(files, entries[0]);
    expect(errors).toEqual(expected);
  });

  test("errors from several files are reported together, in file order", () => {
    const dir = tmpProtos({
      "a.proto": 'syntax = "proto3";\nmessage A { X x = 1; }\n',
      "b.proto": 'syntax = "proto3";\nmessage B { Y y = 1; }\n',
    });
    let err: unknown;
    try {
      loadModel([path.join(dir, "a.proto"), path.join(dir, "b.proto")], { includeDirs: [dir] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaError);
    const lines = (err as SchemaError).diagnostics.map((d) => `${path.basename(d.file)}:${d.line}`);
    expect(lines).toEqual(["a.proto:2", "b.proto:2"]);
  });
});

describe("parse: default formatting matches C printf %g", () => {
  test.each([
    [1e10, 15, "10000000000"], [1e21, 15, "1e+21"], [1e-7, 15, "1e-07"], [0.1, 15, "0.1"], [-1.5, 15, "-1.5"],
    [123456789012345680, 17, "1.2345678901234568e+17"], [0.0001, 6, "0.0001"], [0.00001, 6, "1e-05"],
  ])("formatG(%p, %p) = %p", (x, p, s) => {
    expect(formatG(x, p)).toBe(s);
  });
  test("SimpleDtoa / SimpleFtoa", () => {
    expect(simpleDtoa(0.1)).toBe("0.1");
    expect(simpleDtoa(1 / 3)).toBe("0.33333333333333331");
    expect(simpleFtoa(0.1)).toBe("0.1");
    expect(simpleFtoa(3.25)).toBe("3.25");
    expect(simpleFtoa(16777217)).toBe("16777216");
    expect(simpleDtoa(-Infinity)).toBe("-inf");
  });
});
