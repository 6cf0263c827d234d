/**
 * Golden vectors: every case in test/vectors/packets.json is decoded from its frames and encoded
 * from its packets, byte for byte; every case in malformed.json is run through the framing check
 * and the header decoder. The Python runtime runs the same files (test/python).
 */
import { readFileSync } from "fs";
import { join } from "path";
import {
  checkFraming,
  Flag,
  isInline,
  Kind,
  KIND_NAMES,
  PacketFields,
  INLINE_MAX_BYTES,
  PacketHeader,
  ProtocolError,
} from "../../../runtime/ts/src/protocol";
import { encodeHeader, inlineFlags } from "../../../runtime/ts/src/packet-encode";
import { decodeHeader, decodeHeaderInto } from "../../../runtime/ts/src/packet-decode";
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

/**
 * The packets of a message, walking its frames from `first` as a receiver does: an INLINE header
 * is a whole packet whose message follows the body, any other header takes the next frame.
 */
function walk(frames: Uint8Array[], first: number): VPacket[] {
  const got: VPacket[] = [];
  for (let i = first; i < frames.length; ) {
    const f = frames[i]!;
    const h = decodeHeader(f);
    if (isInline(f)) {
      got.push(toJson(h, h.flags & Flag.HAS_MESSAGE ? f.subarray(h.bodyEnd) : new Uint8Array(0)));
      i += 1;
    } else {
      got.push(toJson(h, frames[i + 1]!));
      i += 2;
    }
  }
  return got;
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
  if (p.payload !== undefined) f.message = unhex(p.payload);
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
  it("decode into one reused header as the runtime does: every field overwritten, forwards and backwards", () => {
    const headers = packets.cases.flatMap((c) => {
      const frames = c.frames.map(unhex);
      const out: Buffer[] = [];
      for (let i = c.socket === "pubsub" ? 1 : 0; i < frames.length; i += isInline(frames[i]!) ? 1 : 2) out.push(frames[i]!);
      return out;
    });
    expect(headers.length).toBeGreaterThan(packets.cases.length);
    const scratch = decodeHeader(headers[0]!);
    for (const order of [headers, [...headers].reverse()]) {
      for (const f of order) expect(decodeHeaderInto(f, scratch)).toEqual(decodeHeader(f));
    }
  });

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
      expect(walk(frames, first)).toEqual(c.packets);
    });

    it("encodes", () => {
      const frames: string[] = c.socket === "pubsub" ? [hex(Buffer.from(c.topic!, "utf8"))] : [];
      // An encoder given INLINE writes the message into the header frame: the packet is one frame.
      for (const p of c.packets) {
        frames.push(hex(encodeHeader(toFields(p))));
        if ((p.flags & Flag.INLINE) === 0) frames.push(p.payload ?? "");
      }
      expect(frames).toEqual(c.frames);
    });

    it("decodes the same from a plain Uint8Array (not a Buffer)", () => {
      const frames = c.frames.map((f) => new Uint8Array(unhex(f)));
      expect(walk(frames, first)).toEqual(c.packets);
    });
  });
});

describe("malformed input (test/vectors/malformed.json)", () => {
  it.each(malformed.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const frames = c.frames.map(unhex);
    const framing = checkFraming(frames, 0);
    if (c.error === "SHORT_HEADER" || c.error === "MISSING_PAYLOAD") {
      expect(framing).toBe(c.error);
      expect(c.server.action).toBe("drop");
      expect(c.client.action).toBe("drop");
      return;
    }
    expect(framing).toBeUndefined();
    let err: unknown;
    try {
      for (let i = 0; i < frames.length; i += isInline(frames[i]!) ? 1 : 2) decodeHeader(frames[i]!);
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
        const h = decodeHeader(b);
        // An inline message is frame.subarray(bodyEnd): it must start inside the frame, after the fixed part.
        expect(h.bodyEnd).toBeGreaterThanOrEqual(8);
        expect(h.bodyEnd).toBeLessThanOrEqual(b.length);
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

  it("ignores the message unless the flags say INLINE and HAS_MESSAGE", () => {
    const message = Buffer.from("0a0568656c6c6f", "hex");
    const twoFrame = encodeHeader({ kind: Kind.MESSAGE, flags: Flag.HAS_MESSAGE, callId: 7, message });
    expect(twoFrame.toString("hex")).toBe("0102020007000000");
    const noMessage = encodeHeader({ kind: Kind.MESSAGE, flags: Flag.INLINE | Flag.END, callId: 7, message });
    expect(noMessage.toString("hex")).toBe("0102210007000000");
  });
});

describe("inlineFlags", () => {
  it("adds INLINE for a message of up to INLINE_MAX_BYTES and for a packet without one", () => {
    expect(INLINE_MAX_BYTES).toBe(16 * 1024);
    expect(inlineFlags(Flag.HAS_MESSAGE, new Uint8Array(0))).toBe(Flag.HAS_MESSAGE | Flag.INLINE);
    expect(inlineFlags(Flag.HAS_MESSAGE, new Uint8Array(INLINE_MAX_BYTES))).toBe(Flag.HAS_MESSAGE | Flag.INLINE);
    expect(inlineFlags(Flag.HAS_MESSAGE, new Uint8Array(INLINE_MAX_BYTES + 1))).toBe(Flag.HAS_MESSAGE);
    expect(inlineFlags(Flag.END, undefined)).toBe(Flag.END | Flag.INLINE);
  });
});

describe("checkFraming", () => {
  it("walks packets by the INLINE flag", () => {
    const inline = Buffer.from("0104200002000000", "hex"); // CANCEL, INLINE
    const twoFrame = Buffer.from("0104000002000000", "hex"); // CANCEL
    expect(checkFraming([inline, inline, inline])).toBeUndefined();
    expect(checkFraming([twoFrame, Buffer.alloc(0), inline])).toBeUndefined();
    expect(checkFraming([inline, twoFrame])).toBe("MISSING_PAYLOAD");
    // The frame after a two-frame header is its payload, whatever it looks like.
    expect(checkFraming([twoFrame, Buffer.alloc(3)])).toBeUndefined();
    expect(checkFraming([Buffer.from("id"), inline], 1)).toBeUndefined();
    expect(checkFraming([Buffer.from("id")], 1)).toBe("MISSING_PAYLOAD");
  });
});
