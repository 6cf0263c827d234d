/**
 * PZMQ/1 packet encoders (docs/PROTOCOL.md sections 3 to 5): one header frame per packet, or the
 * whole packet in one frame when INLINE. The numbers they write are defined in protocol.ts;
 * `runtime/python/protozmq/_packet_encode.py` is the Python twin (re-exported by its `protocol`).
 *
 * On the hot path of every call: they write `Buffer`s carved from shared slabs, byte by byte.
 */
// Imported rather than read from the global: see protocol.ts.
import { Buffer } from "buffer";
import type { Metadata } from "./metadata.js";
import * as protocol from "./protocol.js";
import type { PacketFields } from "./protocol.js";

// Hot-path protocol numbers as module constants, read once: an imported `Flag.END` is a load
// through this module's binding of protocol.ts per use (a getter call under tsx's CommonJS).
const { Flag, HEADER_SIZE, INLINE_MAX_BYTES, Kind, KNOWN_FLAGS, MAX_METADATA_ENTRIES, MAX_METHOD_BYTES, MAX_U32, PROTOCOL_VERSION } = protocol;
const F_METADATA = Flag.METADATA;
const F_HEADERS = Flag.HEADERS;
const F_INLINE = Flag.INLINE;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const K_REQUEST = Kind.REQUEST;
const K_TRAILERS = Kind.TRAILERS;
const K_MESSAGE = Kind.MESSAGE;
const K_CANCEL = Kind.CANCEL;
const K_EVENT = Kind.EVENT;

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

const INLINE_MESSAGE = F_INLINE | F_HAS_MESSAGE;

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

// Little-endian writes by hand, for the reason given at u16/u32 in packet-decode.ts: in the runtime's hot
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
  if (metadata !== undefined) flags |= F_METADATA;
  const mdSize = flags & F_METADATA ? metadataSize(metadata) : 0;
  const bodyEnd = 14 + method.length + mdSize;
  const n = inlineSize(flags, message);
  const buf = allocFrame(bodyEnd + n);
  writeFixed(buf, K_REQUEST, flags, callId);
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
  if (headers !== undefined) flags |= F_HEADERS;
  if (trailers !== undefined) flags |= F_METADATA;
  const msgLen = message.length === 0 ? 0 : Buffer.byteLength(message, "utf8");
  const detLen = details === undefined ? 0 : details.length;
  const hSize = flags & F_HEADERS ? metadataSize(headers) : 0;
  const tSize = flags & F_METADATA ? metadataSize(trailers) : 0;
  const bodyEnd = HEADER_SIZE + 10 + msgLen + detLen + hSize + tSize;
  const n = inlineSize(flags, response);
  const buf = allocFrame(bodyEnd + n);
  writeFixed(buf, K_TRAILERS, flags, callId);
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
  if (headers !== undefined) flags |= F_HEADERS;
  const hSize = kind === K_MESSAGE && flags & F_HEADERS ? metadataSize(headers) : 0;
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
  return message === undefined || message.length <= INLINE_MAX_BYTES ? flags | F_INLINE : flags;
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
    case K_REQUEST:
      return encodeRequest(p.callId, p.flags, p.timeoutMs ?? 0, methodBytes(p.method ?? ""), p.metadata, p.message);
    case K_TRAILERS:
      return encodeTrailers(p.callId, p.flags, p.status ?? 0, p.statusMessage ?? "", p.details, p.headers, p.metadata, p.message);
    case K_MESSAGE:
      return encodeSimple(p.kind, p.flags, p.callId, p.headers, p.message);
    case K_CANCEL:
    case K_EVENT:
      return encodeSimple(p.kind, p.flags, p.callId, undefined, p.message);
    default:
      throw new RangeError(`unknown packet kind ${p.kind}`);
  }
}
