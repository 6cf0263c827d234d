/**
 * The generated TS codecs over every fixture in schemas/ and its samples.json:
 *
 *   sample JSON --fromJSON--> msg --toJSON--> must equal the sample (canonical JSON)
 *   msg --encode--> bytes --decode--> msg2:  equals(msg, msg2), encode(msg2) == bytes, toJSON(msg2) == sample
 *   binary samples (non-canonical wire data) --decode--> msg --encode/decode--> equal message
 *
 * Cross-language checks against Python live in test/interop; this suite needs only Node.
 */
import * as fs from "fs";
import * as path from "path";
import { emitTypeScript } from "../../../generator/emit/ts";
import { loadModel } from "../../../generator/parse";
import { REPO, fromHex, hex, loadGenerated } from "./helpers";

interface Codec {
  typeName: string;
  fromJSON(json: unknown): unknown;
  toJSON(msg: unknown): unknown;
  encode(msg: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  equals(a: unknown, b: unknown): boolean;
  decodeFrom: unknown;
}
interface Samples {
  json?: Record<string, unknown[]>;
  binary?: Record<string, string[]>;
}

const SCHEMAS = path.join(REPO, "schemas");
const folders = fs.readdirSync(SCHEMAS, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(SCHEMAS, e.name, "samples.json")))
  .map((e) => e.name)
  .sort();

function protosIn(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? protosIn(p) : e.name.endsWith(".proto") ? [p] : [];
  });
}

const isCodec = (v: unknown): v is Codec =>
  typeof v === "object" && v !== null && typeof (v as Codec).typeName === "string" && typeof (v as Codec).decodeFrom === "function";

/** Generate a fixture folder and collect its codecs by full name. */
function codecsOf(folder: string): Map<string, Codec> {
  const model = loadModel(protosIn(path.join(SCHEMAS, folder)), { includeDirs: [SCHEMAS] });
  const files = emitTypeScript(model, { typeCheck: false }); // compile.test.ts type-checks them
  const codecs = new Map<string, Codec>();
  for (const f of files) {
    const mod = loadGenerated(files, f.path.replace(/\.ts$/, ""));
    for (const v of Object.values(mod)) if (isCodec(v)) codecs.set(v.typeName, v);
  }
  return codecs;
}

/**
 * Numbers in samples are written as doubles; a `float` field prints the shortest decimal of its
 * float32 value (Python's rule), so 3.4028234663852886e38 in a sample is 3.4028235e38 from us.
 * Two numbers are equal here if identical (-0 and 0 differ) or the same float32 (non-zero).
 */
(expect as unknown as { addEqualityTesters(testers: unknown[]): void }).addEqualityTesters([
  (a: unknown, b: unknown) =>
    typeof a === "number" && typeof b === "number"
      ? Object.is(a, b) || (a !== 0 && b !== 0 && Math.fround(a) === Math.fround(b))
      : undefined,
]);

/** The JSON value as a JSON parser would see it (no null prototypes), keeping -0. */
const asJson = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(asJson)
    : typeof v === "object" && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asJson(x)])) : v;

describe.each(folders)("fixture %s", (folder) => {
  const samples = JSON.parse(fs.readFileSync(path.join(SCHEMAS, folder, "samples.json"), "utf8")) as Samples;
  let codecs: Map<string, Codec>;
  beforeAll(() => {
    codecs = codecsOf(folder);
  });
  const codec = (name: string): Codec => {
    const c = codecs.get(name);
    if (c === undefined) throw new Error(`no generated codec for ${name}`);
    return c;
  };

  const jsonCases = Object.entries(samples.json ?? {}).flatMap(([t, list]) => list.map((s, i) => [t, i, s] as const));
  test.each(jsonCases)("%s json sample %i round-trips through JSON and binary", (typeName, _i, sample) => {
    const T = codec(typeName);
    const msg = T.fromJSON(sample);
    expect(asJson(T.toJSON(msg))).toEqual(sample);
    const bytes = T.encode(msg);
    const back = T.decode(bytes);
    expect(T.equals(msg, back)).toBe(true);
    expect(hex(T.encode(back))).toBe(hex(bytes));
    expect(asJson(T.toJSON(back))).toEqual(sample);
  });

  const binCases = Object.entries(samples.binary ?? {}).flatMap(([t, list]) => list.map((s, i) => [t, i, s] as const));
  if (binCases.length > 0) {
    test.each(binCases)("%s binary sample %i decodes and re-encodes stably", (typeName, _i, h) => {
      const T = codec(typeName);
      const msg = T.decode(fromHex(h));
      const bytes = T.encode(msg);
      expect(T.equals(T.decode(bytes), msg)).toBe(true);
      expect(hex(T.encode(T.decode(bytes)))).toBe(hex(bytes));
      // Unknown fields are kept verbatim: re-encoding data the schema does not know reproduces it.
      if (folder === "unknown" && typeName.includes(".v1.")) expect(hex(bytes)).toBe(h);
    });
  }
});
