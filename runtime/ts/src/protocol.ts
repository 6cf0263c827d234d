/**
 * PZMQ/1 constants and the packet header codec (docs/PROTOCOL.md sections 3 to 5 and 10).
 *
 * Every protocol number is defined here once; `runtime/python/protozmq/protocol.py` mirrors this
 * file name for name. The encoders and decoders are on the hot path of every call, so they work
 * directly on `Buffer` (little-endian reads and writes, no `DataView` per packet, no intermediate
 * arrays), and the decoded header is one object of a fixed shape.
 *
 * ```
 * offset  size  field
 * 0       1     version      = 1
 * 1       1     kind         REQUEST 1, MESSAGE 2, TRAILERS 3, CANCEL 4, EVENT 5
 * 2       2     flags        END 0x1, HAS_MESSAGE 0x2, METADATA 0x4, HEADERS 0x8, ONEWAY 0x10, INLINE 0x20
 * 4       4     call id      u32
 * 8       ...   body         REQUEST:  u32 timeout ms, u16 len + method, [metadata]
 *                            MESSAGE:  [headers]
 *                            TRAILERS: u16 status, u32 len + message, u32 len + details, [headers], [trailers]
 *                            CANCEL, EVENT: empty
 * (INLINE)      message      the rest of the frame; otherwise the message is the next frame
 * metadata block: u16 count, count x (u16 len + key, u32 len + value)
 * ```
 */
// Imported rather than read from the global: Node defines `globalThis.Buffer` as a getter, so each
// use of the global is a global-load IC calling it (every encoded frame and decoded header uses it).
import { Buffer } from "buffer";
import { Metadata, MetadataValue, isBinaryMetadataKey, MAX_METADATA_KEY_BYTES } from "./metadata.js";

/**
 * The `version` byte of every header this runtime sends and accepts.
 *
 * @example
 * ```ts
 * if (frame[0] !== PROTOCOL_VERSION) replyUnimplemented();
 * ```
 */
export const PROTOCOL_VERSION = 1;
/**
 * Size of the fixed part of a header: version, kind, flags, call id. Shorter header frames make
 * the whole message malformed (PZMQ/1 10).
 *
 * @example
 * ```ts
 * const callId = frame.length >= HEADER_SIZE ? frame.readUInt32LE(4) : undefined;
 * ```
 */
export const HEADER_SIZE = 8;

/**
 * Packet kinds (header byte 1, PZMQ/1 4.1).
 *
 * @example
 * ```ts
 * if (header.kind === Kind.TRAILERS) finishCall(header);
 * ```
 */
export const Kind = {
  /** client -> server: opens a call, names the method, may carry the first request message. */
  REQUEST: 1,
  /** both ways: a stream message of an open call. */
  MESSAGE: 2,
  /** server -> client: ends a call with a status; may carry the last response message. */
  TRAILERS: 3,
  /** client -> server: the client abandons the call. */
  CANCEL: 4,
  /** publisher -> subscribers: an event, only on PUB/SUB sockets. */
  EVENT: 5,
} as const;
/**
 * One of the {@link Kind} values.
 *
 * @example
 * ```ts
 * const k: Kind = Kind.MESSAGE;
 * ```
 */
export type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * Kind names by number, for messages and logs.
 *
 * @example
 * ```ts
 * KIND_NAMES[3]; // "TRAILERS"
 * ```
 */
export const KIND_NAMES: Readonly<Record<number, string>> = {
  1: "REQUEST",
  2: "MESSAGE",
  3: "TRAILERS",
  4: "CANCEL",
  5: "EVENT",
};

/**
 * Header flag bits (header bytes 2-3, PZMQ/1 4.2). Receivers ignore unknown bits; senders never
 * set them ({@link encodeHeader} throws).
 *
 * @example
 * ```ts
 * const unaryFlags = Flag.HAS_MESSAGE | Flag.END; // 0x0003
 * ```
 */
export const Flag = {
  /** The sender will send nothing more for this call (half-close). */
  END: 0x0001,
  /** The packet carries a message (an empty one with this flag is an empty message). */
  HAS_MESSAGE: 0x0002,
  /** The body carries a metadata block: request headers on REQUEST, trailers on TRAILERS. */
  METADATA: 0x0004,
  /** TRAILERS and MESSAGE only: the body carries the server's response headers. */
  HEADERS: 0x0008,
  /** REQUEST only: fire-and-forget, the server sends nothing back. */
  ONEWAY: 0x0010,
  /**
   * The packet is this one frame: the message (if HAS_MESSAGE) is the rest of the frame after the
   * body, instead of a payload frame of its own (PZMQ/1 3).
   */
  INLINE: 0x0020,
} as const;
/**
 * All flag bits PZMQ/1 defines; anything else must be zero when sent.
 *
 * @example
 * ```ts
 * const unknownBits = flags & ~KNOWN_FLAGS; // ignored on receipt
 * ```
 */
export const KNOWN_FLAGS = 0x003f;

/**
 * Largest message a sender puts inline, in its header frame (PZMQ/1 3); a larger one goes in a
 * payload frame of its own, so a large message is never copied to be sent. A frame costs both ends
 * a `zmq_msg_t`, a JS buffer object and, over 128 bytes, a reference that zeromq.js releases
 * through the main thread; an inline message is copied once more, after the header. Measured
 * (bench/ts/micro-inproc.ts, unary echo over inproc, CPU per call, inline vs two frames): 9% less
 * at 64 B, 7% at 1 KiB, 11% at 4 KiB, even at 8 and 16 KiB, given frames of 4 KiB and more are
 * carved from a slab (see `allocFrame`). bench/ts/inline-threshold.ts shows the same on raw
 * sockets. Receivers accept either form at any size: this is the sender's choice, not a limit.
 *
 * @example
 * ```ts
 * const flags = bytes.length <= INLINE_MAX_BYTES ? Flag.HAS_MESSAGE | Flag.INLINE : Flag.HAS_MESSAGE;
 * ```
 */
export const INLINE_MAX_BYTES = 16 * 1024;

/**
 * Default limit on one message (a payload frame, or the rest of an inline packet), both sides
 * (PZMQ/1 11).
 *
 * @example
 * ```ts
 * new Channel(endpoint, { maxMessageBytes: 4 * DEFAULT_MAX_MESSAGE_BYTES }); // 16 MiB
 * ```
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * Default ZMQ_HEARTBEAT_IVL: a ZMTP PING every second.
 *
 * @example
 * ```ts
 * new Server({ heartbeatIvlMs: DEFAULT_HEARTBEAT_IVL_MS / 2 });
 * ```
 */
export const DEFAULT_HEARTBEAT_IVL_MS = 1000;
/**
 * Default ZMQ_HEARTBEAT_TIMEOUT: the connection drops after 3 s without any traffic from the peer.
 *
 * @example
 * ```ts
 * const worstCaseDetectionMs = DEFAULT_HEARTBEAT_TIMEOUT_MS + DEFAULT_HEARTBEAT_IVL_MS;
 * ```
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3000;
/**
 * Default ZMQ_HEARTBEAT_TTL: the peer drops us after 3 s of silence from our side.
 *
 * @example
 * ```ts
 * new Channel(endpoint, { heartbeatTtlMs: DEFAULT_HEARTBEAT_TTL_MS });
 * ```
 */
export const DEFAULT_HEARTBEAT_TTL_MS = 3000;
/**
 * Longest method name (u16 length).
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(path) > MAX_METHOD_BYTES) throw new RangeError("method name too long");
 * ```
 */
export const MAX_METHOD_BYTES = 0xffff;
/**
 * Most entries in one metadata block (u16 count).
 *
 * @example
 * ```ts
 * if (md.size > MAX_METADATA_ENTRIES) throw new RangeError("too many metadata entries");
 * ```
 */
export const MAX_METADATA_ENTRIES = 0xffff;
/**
 * Largest call id and largest timeout (both u32).
 *
 * @example
 * ```ts
 * const wireTimeout = Math.min(timeoutMs, MAX_U32);
 * ```
 */
export const MAX_U32 = 0xffffffff;

/**
 * Longest delay a Node.js timer takes (2^31-1 ms, about 24.8 days); longer ones fire at once.
 * Deadlines beyond it are carried on the wire but not timed locally.
 *
 * @example
 * ```ts
 * if (timeoutMs <= MAX_TIMER_MS) setTimeout(onDeadline, timeoutMs);
 * ```
 */
export const MAX_TIMER_MS = 0x7fffffff;

/**
 * Packets queued in one tick after which a writer (the channel's, channel-core.ts, and the
 * server's, server-writer.ts) sends them at once instead of at the end of the tick. Batching saves
 * a send and a receive per packet on both sides, but a whole window of calls sent as one message
 * makes client and server take turns, each idle while the other handles the batch. Slices of this
 * size keep both busy at once. Measured with bench/ts/percall.ts (ipc, pinned, 64 B, calls/s ÷ raw
 * zeromq.js): one message per tick 0.85×/0.75×/0.53× at 16/64/256 calls in flight; slices of 32
 * 0.88×/1.06×/0.96×; 8 and 16 were worse at 256, 64 worse at 64. Not part of the wire protocol.
 *
 * @example
 * ```ts
 * if (queuedPackets >= EARLY_FLUSH_PACKETS) void writeLoop();
 * ```
 */
export const EARLY_FLUSH_PACKETS = 32;

/**
 * An empty frame: the payload of two-frame packets without HAS_MESSAGE, and the message of
 * packets without one. Shared, never written to.
 *
 * @example
 * ```ts
 * await socket.send([encodeSimple(Kind.CANCEL, 0, callId), EMPTY_FRAME]);
 * ```
 */
export const EMPTY_FRAME: Buffer = Buffer.alloc(0);

/**
 * Why a received message or packet is malformed (PZMQ/1 10). The same strings are used by the
 * Python runtime and by `test/vectors/malformed.json`.
 *
 * - `SHORT_HEADER`, `MISSING_PAYLOAD` (a header without INLINE is the last frame): the whole
 *   message is dropped.
 * - `BAD_VERSION`: server replies UNIMPLEMENTED; client fails the call with INTERNAL.
 * - `UNKNOWN_KIND`, `TRUNCATED_BODY`, `BAD_METADATA`: server replies INVALID_ARGUMENT; client fails
 *   the call with INTERNAL.
 *
 * @example
 * ```ts
 * const drop: ProtocolErrorReason[] = ["SHORT_HEADER", "MISSING_PAYLOAD"];
 * ```
 */
export type ProtocolErrorReason =
  | "SHORT_HEADER"
  | "MISSING_PAYLOAD"
  | "BAD_VERSION"
  | "UNKNOWN_KIND"
  | "TRUNCATED_BODY"
  | "BAD_METADATA";

/**
 * A received message or packet that breaks PZMQ/1. Thrown by the decoders here, handled by the
 * channel and server (never surfaced to user code as such).
 *
 * @example
 * ```ts
 * try {
 *   decodeHeader(frame);
 * } catch (e) {
 *   if (e instanceof ProtocolError && e.reason === "BAD_VERSION") replyUnimplemented(e.callId!);
 * }
 * ```
 */
export class ProtocolError extends Error {
  /** Machine-readable cause, shared with the Python runtime. */
  readonly reason: ProtocolErrorReason;
  /** The call id from the fixed header, when the header was long enough to hold one. */
  readonly callId: number | undefined;

  constructor(reason: ProtocolErrorReason, message: string, callId?: number) {
    super(message);
    this.name = "ProtocolError";
    this.reason = reason;
    this.callId = callId;
  }
}

/**
 * The fields of one packet header in a plain, kind-independent form. Used by {@link encodeHeader}
 * and by tests and golden vectors; the runtime's own paths use the kind-specific encoders.
 *
 * @example
 * ```ts
 * const fields: PacketFields = { kind: Kind.TRAILERS, flags: Flag.END, callId: 7, status: 5, statusMessage: "no unit" };
 * const frame = encodeHeader(fields);
 * ```
 */
export interface PacketFields {
  kind: number;
  flags: number;
  callId: number;
  /** REQUEST: remaining time to the deadline in ms, 0 for none. */
  timeoutMs?: number;
  /** REQUEST: `"pkg.Service/Method"`. */
  method?: string;
  /** TRAILERS: the status code as sent (0..16; other values are read as UNKNOWN by clients). */
  status?: number;
  /** TRAILERS: the status message, UTF-8, kept exactly. */
  statusMessage?: string;
  /** TRAILERS: status details bytes (may be empty). */
  details?: Uint8Array;
  /** MESSAGE/TRAILERS with HEADERS: response headers. */
  headers?: Metadata;
  /** REQUEST/TRAILERS with METADATA: request headers or trailers. */
  metadata?: Metadata;
  /** With INLINE and HAS_MESSAGE: the message, written after the body in the same frame. */
  message?: Uint8Array;
}

/**
 * A decoded header. Every field is always present (fixed object shape for V8); fields that the
 * packet's kind does not carry hold their zero value, and `headers`/`metadata` are `undefined`
 * unless their flag was set.
 *
 * @example
 * ```ts
 * const h: PacketHeader = decodeHeader(frame);
 * if (h.kind === Kind.TRAILERS && h.status !== 0) console.log(h.statusMessage, h.metadata?.get("x-why"));
 * ```
 */
export class PacketHeader {
  timeoutMs = 0;
  method = "";
  status = 0;
  statusMessage = "";
  details: Uint8Array = EMPTY_FRAME;
  headers: Metadata | undefined = undefined;
  metadata: Metadata | undefined = undefined;
  /** Offset in the frame where the body ends: an inline packet's message starts here. */
  bodyEnd = HEADER_SIZE;
  constructor(
    public kind: number,
    public flags: number,
    public callId: number,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Encoding

// Method names are few and sent on every REQUEST: keep their UTF-8 bytes. Bounded so a client
// calling generated method names cannot grow it without limit.
const methodBytesCache = new Map<string, Buffer>();
const METHOD_CACHE_LIMIT = 4096;

/**
 * UTF-8 bytes of a method name, cached. Throws `RangeError` over {@link MAX_METHOD_BYTES}.
 *
 * @example
 * ```ts
 * const header = encodeRequest(1, Flag.HAS_MESSAGE | Flag.END, 0, methodBytes("game.Analysis/Evaluate"));
 * ```
 */
export function methodBytes(method: string): Buffer {
  let b = methodBytesCache.get(method);
  if (b === undefined) {
    b = Buffer.from(method, "utf8");
    if (b.length > MAX_METHOD_BYTES) throw new RangeError(`method name longer than ${MAX_METHOD_BYTES} bytes`);
    if (methodBytesCache.size >= METHOD_CACHE_LIMIT) methodBytesCache.clear();
    methodBytesCache.set(method, b);
  }
  return b;
}

function metadataSize(md: Metadata | undefined): number {
  if (md === undefined) return 2;
  if (md.size > MAX_METADATA_ENTRIES) throw new RangeError(`more than ${MAX_METADATA_ENTRIES} metadata entries`);
  let n = 2;
  for (const [k, v] of md) n += 6 + k.length + (typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length);
  return n;
}

function writeMetadata(buf: Buffer, off: number, md: Metadata | undefined): number {
  if (md === undefined) {
    buf.writeUInt16LE(0, off);
    return off + 2;
  }
  buf.writeUInt16LE(md.size, off);
  off += 2;
  for (const [k, v] of md) {
    buf.writeUInt16LE(k.length, off);
    // Keys are validated ASCII, so latin1 writes them byte for byte.
    off += 2 + buf.write(k, off + 2, "latin1");
    if (typeof v === "string") {
      const n = buf.write(v, off + 4, "utf8");
      buf.writeUInt32LE(n, off);
      off += 4 + n;
    } else {
      buf.writeUInt32LE(v.length, off);
      buf.set(v, off + 4);
      off += 4 + v.length;
    }
  }
  return off;
}

const INLINE_MESSAGE = Flag.INLINE | Flag.HAS_MESSAGE;

/** Bytes of `message` an encoder appends after the body: all of it for an inline packet, else none. */
function inlineSize(flags: number, message: Uint8Array | undefined): number {
  return (flags & INLINE_MESSAGE) === INLINE_MESSAGE && message !== undefined ? message.length : 0;
}

function writeMessage(buf: Buffer, off: number, message: Uint8Array, n: number): void {
  // Most inline messages are small: a loop beats set()'s native call below a few dozen bytes.
  if (n <= 32) for (let i = 0; i < n; i++) buf[off + i] = message[i]!;
  else buf.set(message, off);
}

// Frames are carved out of shared slabs: on V8 an ArrayBuffer of its own costs an off-heap
// allocation, external-memory accounting and a later sweep, about as much as copying several KiB,
// which would eat the gain of sending a message of a few KiB inline. Up to INLINE_MAX_BYTES plus a
// header fits one slab at least 4 times. Small frames come from the slab too rather than from
// Node's 8 KiB Buffer pool: a unary round trip's two ~100-byte frames used up a pool every ~40
// calls (createPool was ~1.7% of a sequential inproc round trip's CPU profile), a slab lasts ~650.
// A carved frame is written once, by its encoder, and never handed out again (zeromq.js may keep
// it until libzmq has sent it); a slab lives as long as any of its frames.
const FRAME_SLAB_SIZE = 4 * (INLINE_MAX_BYTES + 1024);
let frameSlab: ArrayBuffer = new ArrayBuffer(0);
let frameSlabPos = 0;

function allocFrame(size: number): Buffer {
  if (size > FRAME_SLAB_SIZE / 4) return Buffer.allocUnsafe(size);
  if (frameSlabPos + size > frameSlab.byteLength) {
    frameSlab = Buffer.allocUnsafeSlow(FRAME_SLAB_SIZE).buffer as ArrayBuffer;
    frameSlabPos = 0;
  }
  const buf = Buffer.from(frameSlab, frameSlabPos, size);
  frameSlabPos = (frameSlabPos + size + 7) & ~7;
  return buf;
}

// Little-endian writes by hand, for the reason given at u16/u32 (decoding): in the runtime's hot
// paths `buf.writeUInt32LE` compiles to a generic property load per call. Values are in range.
function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

function writeFixed(buf: Buffer, kind: number, flags: number, callId: number): void {
  buf[0] = PROTOCOL_VERSION;
  buf[1] = kind;
  w16(buf, 2, flags);
  w32(buf, 4, callId >>> 0);
}

/**
 * Encodes a REQUEST header. A fresh buffer every time: zeromq.js may keep a reference to a sent
 * buffer until libzmq has written it, so a reused buffer could be overwritten while queued.
 *
 * All the encoders here take the packet's message last: with flags INLINE and HAS_MESSAGE it is
 * copied after the body and the result is the whole packet, one frame (PZMQ/1 3); otherwise it
 * is ignored and the message goes in a payload frame of its own. {@link inlineFlags} picks the form.
 *
 * @param timeoutMs remaining time to the deadline, 0 for none (clamped to u32).
 * @param method the method's UTF-8 bytes, from {@link methodBytes}.
 * @param metadata request headers; written (and METADATA set) when given.
 * @param message the request message, written after the body when the flags say INLINE.
 *
 * @example
 * ```ts
 * const flags = inlineFlags(Flag.HAS_MESSAGE | Flag.END, bytes);
 * const frame = encodeRequest(7, flags, 250, methodBytes("game.Analysis/Evaluate"), undefined, bytes);
 * await socket.send(flags & Flag.INLINE ? [frame] : [frame, bytes]);
 * ```
 */
export function encodeRequest(
  callId: number,
  flags: number,
  timeoutMs: number,
  method: Uint8Array,
  metadata?: Metadata,
  message?: Uint8Array,
): Buffer {
  if (metadata !== undefined) flags |= Flag.METADATA;
  const mdSize = flags & Flag.METADATA ? metadataSize(metadata) : 0;
  const bodyEnd = 14 + method.length + mdSize;
  const n = inlineSize(flags, message);
  const buf = allocFrame(bodyEnd + n);
  writeFixed(buf, Kind.REQUEST, flags, callId);
  w32(buf, 8, timeoutMs > MAX_U32 ? MAX_U32 : timeoutMs < 0 ? 0 : Math.ceil(timeoutMs));
  w16(buf, 12, method.length);
  writeMessage(buf, 14, method, method.length);
  if (mdSize) writeMetadata(buf, 14 + method.length, metadata);
  if (n) writeMessage(buf, bodyEnd, message!, n);
  return buf;
}

/**
 * Encodes a TRAILERS header. `headers` and `trailers` are written (setting HEADERS / METADATA)
 * when given; `response` after the body when the flags say INLINE (see {@link encodeRequest}).
 *
 * @example
 * ```ts
 * const frame = encodeTrailers(7, Flag.HAS_MESSAGE | Flag.END | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, bytes);
 * ```
 */
export function encodeTrailers(
  callId: number,
  flags: number,
  status: number,
  message: string,
  details?: Uint8Array,
  headers?: Metadata,
  trailers?: Metadata,
  response?: Uint8Array,
): Buffer {
  if (headers !== undefined) flags |= Flag.HEADERS;
  if (trailers !== undefined) flags |= Flag.METADATA;
  const msgLen = message.length === 0 ? 0 : Buffer.byteLength(message, "utf8");
  const detLen = details === undefined ? 0 : details.length;
  const hSize = flags & Flag.HEADERS ? metadataSize(headers) : 0;
  const tSize = flags & Flag.METADATA ? metadataSize(trailers) : 0;
  const bodyEnd = HEADER_SIZE + 10 + msgLen + detLen + hSize + tSize;
  const n = inlineSize(flags, response);
  const buf = allocFrame(bodyEnd + n);
  writeFixed(buf, Kind.TRAILERS, flags, callId);
  w16(buf, 8, status);
  w32(buf, 10, msgLen);
  let off = 14;
  if (msgLen) off += buf.write(message, off, "utf8");
  w32(buf, off, detLen);
  off += 4;
  if (detLen) {
    buf.set(details!, off);
    off += detLen;
  }
  if (hSize) off = writeMetadata(buf, off, headers);
  if (tSize) writeMetadata(buf, off, trailers);
  if (n) writeMessage(buf, bodyEnd, response!, n);
  return buf;
}

/**
 * Encodes a MESSAGE, CANCEL or EVENT header. For MESSAGE, `headers` (response headers, server
 * side) are written and HEADERS set when given; `message` after the body when the flags say
 * INLINE (see {@link encodeRequest}).
 *
 * @example
 * ```ts
 * const cancel = encodeSimple(Kind.CANCEL, Flag.INLINE, 7); // a whole packet, one frame
 * const event = encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE | Flag.INLINE, seq, undefined, bytes);
 * ```
 */
export function encodeSimple(kind: number, flags: number, callId: number, headers?: Metadata, message?: Uint8Array): Buffer {
  if (headers !== undefined) flags |= Flag.HEADERS;
  const hSize = kind === Kind.MESSAGE && flags & Flag.HEADERS ? metadataSize(headers) : 0;
  const n = inlineSize(flags, message);
  const buf = allocFrame(HEADER_SIZE + hSize + n);
  writeFixed(buf, kind, flags, callId);
  if (hSize) writeMetadata(buf, HEADER_SIZE, headers);
  if (n) writeMessage(buf, HEADER_SIZE + hSize, message!, n);
  return buf;
}

/**
 * The flags to send a packet with: `flags` plus INLINE when the packet has no message or one of at
 * most {@link INLINE_MAX_BYTES}, so it goes as one frame; a larger message keeps a frame of its own
 * and is not copied (PZMQ/1 3).
 *
 * @example
 * ```ts
 * const flags = inlineFlags(Flag.HAS_MESSAGE, bytes);
 * const frame = encodeSimple(Kind.MESSAGE, flags, id, undefined, bytes);
 * queue(flags & Flag.INLINE ? [frame] : [frame, bytes]);
 * ```
 */
export function inlineFlags(flags: number, message: Uint8Array | undefined): number {
  return message === undefined || message.length <= INLINE_MAX_BYTES ? flags | Flag.INLINE : flags;
}

/**
 * Encodes any packet header from its plain fields. The flags are taken as given (plus METADATA /
 * HEADERS when the corresponding block is present); a block whose flag is set but whose value is
 * absent is written empty. With INLINE and HAS_MESSAGE, `message` follows the body: the result is
 * the whole packet.
 *
 * @example
 * ```ts
 * const frame = encodeHeader({ kind: Kind.CANCEL, flags: 0, callId: 7 });
 * // <01 04 00 00 07 00 00 00>
 * ```
 */
export function encodeHeader(p: PacketFields): Buffer {
  if ((p.flags & ~KNOWN_FLAGS) !== 0) throw new RangeError(`unknown flag bits 0x${p.flags.toString(16)}`);
  switch (p.kind) {
    case Kind.REQUEST:
      return encodeRequest(p.callId, p.flags, p.timeoutMs ?? 0, methodBytes(p.method ?? ""), p.metadata, p.message);
    case Kind.TRAILERS:
      return encodeTrailers(p.callId, p.flags, p.status ?? 0, p.statusMessage ?? "", p.details, p.headers, p.metadata, p.message);
    case Kind.MESSAGE:
      return encodeSimple(p.kind, p.flags, p.callId, p.headers, p.message);
    case Kind.CANCEL:
    case Kind.EVENT:
      return encodeSimple(p.kind, p.flags, p.callId, undefined, p.message);
    default:
      throw new RangeError(`unknown packet kind ${p.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function asBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

// Little-endian reads by hand. On the receive path a Buffer method (`buf.readUInt32LE`) is a
// generic property load (V8's LoadIC builtin), not inlined: zeromq.js creates every received frame
// in C++ and sets its prototype there, and the JIT then does not rely on the Buffer prototype
// chain (seen in `--print-opt-code`). Element reads are plain typed-array loads. Callers check
// the bounds first.
function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

function truncated(callId: number): ProtocolError {
  return new ProtocolError("TRUNCATED_BODY", "truncated packet body", callId);
}

function readMetadata(buf: Buffer, off: number, callId: number, out: Metadata): number {
  const end = buf.length;
  if (off + 2 > end) throw truncated(callId);
  const count = u16(buf, off);
  off += 2;
  for (let i = 0; i < count; i++) {
    if (off + 2 > end) throw truncated(callId);
    const kLen = u16(buf, off);
    off += 2;
    if (off + kLen + 4 > end) throw truncated(callId);
    if (kLen === 0 || kLen > MAX_METADATA_KEY_BYTES) {
      throw new ProtocolError("BAD_METADATA", "invalid metadata key", callId); // length 0 or > 255
    }
    for (let j = off; j < off + kLen; j++) {
      const c = buf[j]!;
      // [0-9a-z-_.]
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e)) {
        throw new ProtocolError("BAD_METADATA", "invalid metadata key", callId);
      }
    }
    const key = buf.toString("latin1", off, off + kLen);
    off += kLen;
    const vLen = u32(buf, off);
    off += 4;
    if (vLen > end - off) throw truncated(callId);
    const value: MetadataValue = isBinaryMetadataKey(key)
      ? new Uint8Array(buf.subarray(off, off + vLen))
      : buf.toString("utf8", off, off + vLen);
    out.appendFromWire(key, value);
    off += vLen;
  }
  return off;
}

// A server reads the same few method names on every REQUEST: decoding them is a native call and
// a new string to hash per request. Names seen are kept in a small direct-mapped cache, checked
// byte for byte, so a hit costs a short loop and returns the same (already hashed) string.
const METHOD_SLOTS = 64;
const methodSlotBytes: Array<Buffer | undefined> = new Array<Buffer | undefined>(METHOD_SLOTS).fill(undefined);
const methodSlotNames: string[] = new Array<string>(METHOD_SLOTS).fill("");

function methodName(buf: Buffer, off: number, len: number): string {
  if (len === 0) return "";
  const slot = (len * 31 + buf[off]! * 7 + buf[off + len - 1]! + buf[off + (len >> 1)]! * 3) & (METHOD_SLOTS - 1);
  const known = methodSlotBytes[slot];
  if (known !== undefined && known.length === len) {
    let i = 0;
    while (i < len && known[i] === buf[off + i]) i++;
    if (i === len) return methodSlotNames[slot]!;
  }
  const name = buf.toString("utf8", off, off + len);
  // Only names that fit a header comfortably are kept; the copy is ours (the frame is not retained).
  if (len <= 256) {
    methodSlotBytes[slot] = Buffer.from(buf.subarray(off, off + len));
    methodSlotNames[slot] = name;
  }
  return name;
}

/**
 * Decodes one header frame. Throws {@link ProtocolError} for a short header, another version, an
 * unknown kind, or a body shorter than its fields claim. Unknown flag bits are ignored (kept in
 * `flags`). `bodyEnd` is where the body ends: with INLINE and HAS_MESSAGE the rest of the frame
 * is the message ({@link inlineMessage}); otherwise bytes after the body are ignored.
 *
 * Byte values (`details`, `-bin` metadata) are copies: the frame's memory is not retained.
 *
 * @example
 * ```ts
 * const h = decodeHeader(frames[1]);
 * if (h.kind === Kind.REQUEST) console.log(h.method, h.timeoutMs);
 * ```
 */
export function decodeHeader(frame: Uint8Array): PacketHeader {
  return decodeHeaderInto(frame, new PacketHeader(0, 0, 0));
}

/**
 * {@link decodeHeader} into an existing header object, every field overwritten: the client and
 * server decode each received packet into one header of their own, read before the next packet
 * is decoded (no header object per packet). Returns `h`.
 *
 * @example
 * ```ts
 * const h = decodeHeaderInto(frame, scratch);
 * ```
 */
export function decodeHeaderInto(frame: Uint8Array, h: PacketHeader): PacketHeader {
  const buf = asBuffer(frame);
  const len = buf.length;
  if (len < HEADER_SIZE) throw new ProtocolError("SHORT_HEADER", `header of ${len} bytes, at least 8 expected`);
  const callId = u32(buf, 4);
  const version = buf[0]!;
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError("BAD_VERSION", `unsupported protocol version ${version}`, callId);
  }
  const kind = buf[1]!;
  const flags = u16(buf, 2);
  h.kind = kind;
  h.flags = flags;
  h.callId = callId;
  h.timeoutMs = 0;
  h.method = "";
  h.status = 0;
  h.statusMessage = "";
  h.details = EMPTY_FRAME;
  h.headers = undefined;
  h.metadata = undefined;
  h.bodyEnd = HEADER_SIZE;
  switch (kind) {
    case Kind.REQUEST: {
      if (len < 14) throw truncated(callId);
      h.timeoutMs = u32(buf, 8);
      const mLen = u16(buf, 12);
      if (14 + mLen > len) throw truncated(callId);
      h.method = methodName(buf, 14, mLen);
      h.bodyEnd = flags & Flag.METADATA ? readMetadata(buf, 14 + mLen, callId, (h.metadata = new Metadata())) : 14 + mLen;
      return h;
    }
    case Kind.TRAILERS: {
      if (len < 14) throw truncated(callId);
      h.status = u16(buf, 8);
      const mLen = u32(buf, 10);
      let off = 14;
      if (mLen > len - off - 4) throw truncated(callId);
      if (mLen) h.statusMessage = buf.toString("utf8", off, off + mLen);
      off += mLen;
      const dLen = u32(buf, off);
      off += 4;
      if (dLen > len - off) throw truncated(callId);
      if (dLen) h.details = new Uint8Array(buf.subarray(off, off + dLen));
      off += dLen;
      if (flags & Flag.HEADERS) off = readMetadata(buf, off, callId, (h.headers = new Metadata()));
      if (flags & Flag.METADATA) off = readMetadata(buf, off, callId, (h.metadata = new Metadata()));
      h.bodyEnd = off;
      return h;
    }
    case Kind.MESSAGE:
      if (flags & Flag.HEADERS) h.bodyEnd = readMetadata(buf, HEADER_SIZE, callId, (h.headers = new Metadata()));
      return h;
    case Kind.CANCEL:
    case Kind.EVENT:
      return h;
    default:
      throw new ProtocolError("UNKNOWN_KIND", `unknown packet kind ${kind}`, callId);
  }
}

// INLINE is in the low byte of the little-endian flags: a receiver walking frames reads one byte.
const INLINE_BYTE = Flag.INLINE;

/**
 * Checks the framing of a whole received message before any packet is acted on, walking its
 * packets from `start` (after the routing id on a ROUTER): every header at least 8 bytes, and
 * every header without INLINE followed by its payload frame. Returns the reason to drop the
 * whole message, or `undefined` if its shape is fine. Checking first keeps "drop the whole
 * message" (PZMQ/1 10) true even when the bad packet is not the first.
 *
 * @example
 * ```ts
 * const bad = checkFraming(frames, 1);
 * if (bad !== undefined) return countDropped(peer, bad);
 * ```
 */
export function checkFraming(frames: readonly Uint8Array[], start = 0): ProtocolErrorReason | undefined {
  const n = frames.length;
  // A message with no packet at all (only a routing id) lacks a payload as much as anything.
  if (n <= start) return "MISSING_PAYLOAD";
  for (let i = start; i < n; ) {
    const f = frames[i]!;
    if (f.length < HEADER_SIZE) return "SHORT_HEADER";
    if (f[2]! & INLINE_BYTE) i++;
    else if ((i += 2) > n) return "MISSING_PAYLOAD";
  }
  return undefined;
}

/**
 * True if the header frame `frame` (at least 8 bytes: {@link checkFraming} passed) is a whole,
 * inline packet; false if the next frame is its payload. Read in place, before or without decoding.
 *
 * @example
 * ```ts
 * for (let i = 1; i < frames.length; i += isInline(frames[i]) ? 1 : 2) handle(frames, i);
 * ```
 */
export function isInline(frame: Uint8Array): boolean {
  return (frame[2]! & INLINE_BYTE) !== 0;
}

/**
 * The message of an inline packet: the bytes of `frame` after the body, a view (no copy); empty
 * without HAS_MESSAGE, whatever follows the body (PZMQ/1 3).
 *
 * @example
 * ```ts
 * const h = decodeHeader(frame);
 * const bytes = isInline(frame) ? inlineMessage(frame, h) : frames[i + 1];
 * ```
 */
export function inlineMessage(frame: Buffer, h: PacketHeader): Buffer {
  return h.flags & Flag.HAS_MESSAGE ? frame.subarray(h.bodyEnd) : EMPTY_FRAME;
}

/**
 * True if the flags say the packet carries a message.
 *
 * @example
 * ```ts
 * if (hasMessage(h.flags)) stream.push(codec.decode(payload));
 * ```
 */
export function hasMessage(flags: number): boolean {
  return (flags & Flag.HAS_MESSAGE) !== 0;
}
