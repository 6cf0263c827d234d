/**
 * Cross-language codec tests over every fixture in schemas/: the generated TypeScript codecs against
 * Google's official Python runtime loaded with our generated `_pb2` modules, in a real Python process.
 *
 *   samples.json --fromJSON--> TS message --encode--> bytes_ts --\
 *                                                                 +-- equal (deterministic, no maps)
 *   samples.json --json_format.Parse--> Py message --serialize--> bytes_py
 *   bytes_ts --Py decode--> JSON --TS fromJSON--> equal to the TS message
 *   bytes_py --TS decode--> equal to the TS message
 *   TS toJSON --Py Parse--> bytes equal to bytes_py (canonical JSON from each side parses on the other)
 */
import * as fs from "fs";
import * as path from "path";
import { JsonLinePeer, REPO } from "./py-peer";

interface Codec {
  typeName: string;
  fromJSON(json: unknown): unknown;
  toJSON(msg: unknown): unknown;
  encode(msg: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  equals(a: unknown, b: unknown): boolean;
}
interface Samples {
  json?: Record<string, unknown[]>;
  binary?: Record<string, string[]>;
}
interface PyAnswer {
  hex?: string;
  json?: unknown;
  error?: string;
}

const SCHEMAS = path.join(REPO, "schemas");
const GEN_TS = path.join(REPO, "generated", "ts");
const GEN_PY = path.join(REPO, "generated", "python");

const isCodec = (v: unknown): v is Codec =>
  typeof v === "object" && v !== null && typeof (v as Codec).typeName === "string" && typeof (v as Codec).encode === "function";

/** Every generated TS codec, by full type name. */
function loadCodecs(): Map<string, Codec> {
  const codecs = new Map<string, Codec>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        for (const v of Object.values(require(p) as Record<string, unknown>)) if (isCodec(v)) codecs.set(v.typeName, v);
      }
    }
  };
  walk(GEN_TS);
  return codecs;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

const fixtures = fs.readdirSync(SCHEMAS, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(SCHEMAS, e.name, "samples.json")))
  .map((e) => e.name)
  .sort();

let peer: JsonLinePeer;
let codecs: Map<string, Codec>;

beforeAll(async () => {
  codecs = loadCodecs();
  peer = new JsonLinePeer(path.join(__dirname, "codec_peer.py"), [GEN_PY]);
  await peer.ready();
}, 60000);

afterAll(() => peer?.close());

test("fixtures exist and every sampled type has a generated TS codec", () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(14);
  for (const f of fixtures) {
    const s = JSON.parse(fs.readFileSync(path.join(SCHEMAS, f, "samples.json"), "utf8")) as Samples;
    for (const t of [...Object.keys(s.json ?? {}), ...Object.keys(s.binary ?? {})]) expect([f, t, codecs.has(t)]).toEqual([f, t, true]);
  }
});

describe.each(fixtures)("fixture %s", (fixture) => {
  const dir = path.join(SCHEMAS, fixture);
  const samples = JSON.parse(fs.readFileSync(path.join(dir, "samples.json"), "utf8")) as Samples;
  const protoText = fs.readdirSync(dir).filter((f) => f.endsWith(".proto")).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n");
  const jsonCases = Object.entries(samples.json ?? {}).flatMap(([t, list]) => list.map((j, i) => [t, i, j] as const));
  // Map entries are written in insertion order by TS and sorted by Python, so bytes are compared only
  // for fixtures without maps (Struct is a map too); values are compared everywhere.
  const deterministic = !/\bmap\s*</.test(protoText) && !protoText.includes("google/protobuf/struct.proto");
  const binCases = Object.entries(samples.binary ?? {}).flatMap(([t, list]) => list.map((h, i) => [t, i, h] as const));

  if (jsonCases.length > 0) {
    test.each(jsonCases)("%s #%d: TS and Python agree (JSON sample)", async (typeName, _i, json) => {
      const codec = codecs.get(typeName)!;
      const msg = codec.fromJSON(json);
      const bytesTs = codec.encode(msg);
      // TS round trip.
      const back = codec.decode(bytesTs);
      expect(codec.toJSON(back)).toEqual(codec.toJSON(msg));
      // Python parses the same JSON.
      const py = await peer.request<PyAnswer>({ op: "from_json", type: typeName, json });
      expect(py.error).toBeUndefined();
      if (deterministic) expect(hex(bytesTs)).toBe(py.hex);
      // Python decodes TS bytes to the same value.
      const pyFromTs = await peer.request<PyAnswer>({ op: "decode", type: typeName, hex: hex(bytesTs) });
      expect(pyFromTs.error).toBeUndefined();
      expect(codec.toJSON(codec.fromJSON(pyFromTs.json))).toEqual(codec.toJSON(msg));
      expect(pyFromTs.hex).toBe(py.hex);
      // TS decodes Python bytes to the same value.
      expect(codec.toJSON(codec.decode(fromHex(py.hex!)))).toEqual(codec.toJSON(msg));
      // TS canonical JSON parses in Python to the same bytes.
      const pyFromTsJson = await peer.request<PyAnswer>({ op: "from_json", type: typeName, json: codec.toJSON(msg) });
      expect(pyFromTsJson.error).toBeUndefined();
      expect(pyFromTsJson.hex).toBe(py.hex);
      // Python canonical JSON parses in TS to the same value.
      expect(codec.toJSON(codec.fromJSON(py.json))).toEqual(codec.toJSON(msg));
    });
  }

  if (binCases.length > 0) {
    test.each(binCases)("%s #%d: TS and Python agree (binary sample, unknown fields kept)", async (typeName, _i, h) => {
      const codec = codecs.get(typeName)!;
      const msg = codec.decode(fromHex(h));
      const py = await peer.request<PyAnswer>({ op: "decode", type: typeName, hex: h });
      expect(py.error).toBeUndefined();
      // Both runtimes canonicalize the same way and keep unknown fields in place.
      if (deterministic) expect(hex(codec.encode(msg))).toBe(py.hex);
      expect(codec.toJSON(codec.decode(fromHex(py.hex!)))).toEqual(codec.toJSON(msg));
    });
  }
});
