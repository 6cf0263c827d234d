/**
 * Golden vectors: every case in test/vectors/packets.json is decoded from its frames and encoded
 * from its packets, byte for byte; every case in malformed.json is run through the framing check
 * and the header decoder. The Python runtime runs the same files (test/python).
 */
import { readFileSync } from "fs";
import { join } from "path";
import {
  checkFraming,
  decodeHeader,
  encodeHeader,
  Flag,
  Kind,
  KIND_NAMES,
  PacketFields,
  PacketHeader,
  ProtocolError,
} from "../../../runtime/ts/src/protocol";
import { Metadata } from "../../../runtime/ts/src/metadata";

type Pair = [string, string];
interface VPacket {
  kind: keyof typeof Kind;
  flags: number;
  callId: number;
  timeoutMs?: number;
  method?: string;
  status?: number;
  statusMessage?: string;
  details?: string;
  headers?: Pair[];
  metadata?: Pair[];
  payload?: string;
}
interface VCase {
  name: string;
  socket: "rpc" | "pubsub";
  topic?: string;
  frames: string[];
  packets: VPacket[];
}
interface MCase {
  name: string;
  frames: string[];
  error: string | null;
  callId: number | null;
  server: { action: string; status?: number; statusMessage?: string };
  client: { action: string; status?: number };
}

const dir = join(__dirname, "../../vectors");
const packets = JSON.parse(readFileSync(join(dir, "packets.json"), "utf8")) as { format: string; cases: VCase[] };
const malformed = JSON.parse(readFileSync(join(dir, "malformed.json"), "utf8")) as { format: string; cases: MCase[] };

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Buffer => Buffer.from(s, "hex");

/** Vector metadata convention: `-bin` values are "hex:<bytes>", others are the text. */
function mdFromJson(pairs: Pair[]): Metadata {
  const md = new Metadata();
  for (const [k, v] of pairs) {
    if (k.endsWith("-bin")) {
      expect(v.startsWith("hex:")).toBe(true);
      md.add(k, unhex(v.slice(4)));
    } else md.add(k, v);
  }
  return md;
}
function mdToJson(md: Metadata): Pair[] {
  return [...md].map(([k, v]) => [k, typeof v === "string" ? v : `hex:${hex(v)}`]);
}

function toFields(p: VPacket): PacketFields {
  const f: PacketFields = { kind: Kind[p.kind], flags: p.flags, callId: p.callId };
  if (p.timeoutMs !== undefined) f.timeoutMs = p.timeoutMs;
  if (p.method !== undefined) f.method = p.method;
  if (p.status !== undefined) f.status = p.status;
  if (p.statusMessage !== undefined) f.statusMessage = p.statusMessage;
  if (p.details !== undefined) f.details = unhex(p.details);
  if (p.headers !== undefined) f.headers = mdFromJson(p.headers);
  if (p.metadata !== undefined) f.metadata = mdFromJson(p.metadata);
  return f;
}

/** The JSON form of a decoded header, with the same "absent when not carried" rules as the file. */
function toJson(h: PacketHeader, payload: Uint8Array): VPacket {
  const name = KIND_NAMES[h.kind] as keyof typeof Kind;
  const out: VPacket = { kind: name, flags: h.flags, callId: h.callId };
  if (h.kind === Kind.REQUEST) {
    out.timeoutMs = h.timeoutMs;
    out.method = h.method;
  }
  if (h.kind === Kind.TRAILERS) {
    out.status = h.status;
    out.statusMessage = h.statusMessage;
    if (h.details.length > 0) out.details = hex(h.details);
  }
  if (h.headers !== undefined) out.headers = mdToJson(h.headers);
  if (h.metadata !== undefined) out.metadata = mdToJson(h.metadata);
  out.payload = hex(payload);
  return out;
}

describe("golden packets (test/vectors/packets.json)", () => {
  it("covers every required shape", () => {
    const names = packets.cases.map((c) => c.name).join("\n");
    for (const want of ["unary request", "deadline and metadata", "batch of three", "response headers", "trailers OK", "non-BMP", "cancel", "event", "oneway"]) {
      expect(names).toContain(want);
    }
  });

  describe.each(packets.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const first = c.socket === "pubsub" ? 1 : 0;

    it("decodes", () => {
      const frames = c.frames.map(unhex);
      if (c.socket === "pubsub") expect(frames[0]!.toString("utf8")).toBe(c.topic);
      expect(checkFraming(frames, first)).toBeUndefined();
      const got: VPacket[] = [];
      for (let i = first; i < frames.length; i += 2) got.push(toJson(decodeHeader(frames[i]!), frames[i + 1]!));
      expect(got).toEqual(c.packets);
    });

    it("encodes", () => {
      const frames: string[] = c.socket === "pubsub" ? [hex(Buffer.from(c.topic!, "utf8"))] : [];
      for (const p of c.packets) frames.push(hex(encodeHeader(toFields(p))), p.payload ?? "");
      expect(frames).toEqual(c.frames);
    });

    it("decodes the same from a plain Uint8Array (not a Buffer)", () => {
      const header = new Uint8Array(unhex(c.frames[first]!));
      expect(toJson(decodeHeader(header), unhex(c.frames[first + 1]!))).toEqual(c.packets[0]);
    });
  });
});

describe("malformed input (test/vectors/malformed.json)", () => {
  it.each(malformed.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const frames = c.frames.map(unhex);
    const framing = checkFraming(frames, 0);
    if (c.error === "SHORT_HEADER" || c.error === "ODD_FRAME_COUNT") {
      expect(framing).toBe(c.error);
      expect(c.server.action).toBe("drop");
      expect(c.client.action).toBe("drop");
      return;
    }
    expect(framing).toBeUndefined();
    let err: unknown;
    try {
      for (let i = 0; i < frames.length; i += 2) decodeHeader(frames[i]!);
    } catch (e) {
      err = e;
    }
    if (c.error === null) {
      expect(err).toBeUndefined();
      expect(decodeHeader(frames[0]!).callId).toBe(c.callId);
      return;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    const pe = err as ProtocolError;
    expect(pe.reason).toBe(c.error);
    expect(pe.callId).toBe(c.callId);
    // The server's reply text is the decoder's message (pinned so both runtimes answer alike).
    if (c.server.action === "reply") expect(pe.message).toBe(c.server.statusMessage);
  });

  it("never throws anything but ProtocolError on random headers", () => {
    // A cheap fuzz: every byte prefix of every vector header, and random bytes.
    const inputs: Buffer[] = [];
    for (const c of packets.cases) for (const f of c.frames) for (let n = 0; n <= f.length / 2; n++) inputs.push(unhex(f).subarray(0, n));
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 40));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      if (b.length > 1) b[0] = 1;
      if (b.length > 2) b[1] = 1 + Math.floor(rnd() * 5);
      inputs.push(b);
    }
    for (const b of inputs) {
      try {
        decodeHeader(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

describe("encodeHeader", () => {
  it("refuses unknown flag bits and unknown kinds", () => {
    expect(() => encodeHeader({ kind: Kind.CANCEL, flags: 0x100, callId: 1 })).toThrow(RangeError);
    expect(() => encodeHeader({ kind: 9, flags: 0, callId: 1 })).toThrow(RangeError);
  });

  it("sets METADATA when request metadata is given", () => {
    const h = decodeHeader(encodeHeader({ kind: Kind.REQUEST, flags: Flag.END, callId: 1, method: "a.B/C", metadata: new Metadata({ a: "b" }) }));
    expect(h.flags).toBe(Flag.END | Flag.METADATA);
    expect(h.metadata?.get("a")).toBe("b");
  });
});
