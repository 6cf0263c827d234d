/**
 * PZMQ/1 header decoding (docs/PROTOCOL.md sections 3 to 5 and 10): {@link decodeHeader} and
 * {@link decodeHeaderInto}, which throw {@link ProtocolError} for a malformed header. The numbers
 * they read are defined in protocol.ts; `runtime/python/protozmq/_packet_decode.py` is the
 * Python twin (re-exported by its `protocol`).
 */
// Imported rather than read from the global: see protocol.ts.
import { Buffer } from "buffer";
import { Metadata, MetadataValue, isBinaryMetadataKey, MAX_METADATA_KEY_BYTES } from "./metadata.js";
import * as protocol from "./protocol.js";
import { PacketHeader, ProtocolError } from "./protocol.js";

// Hot-path protocol numbers as module constants, read once: an imported `Flag.END` is a load
// through this module's binding of protocol.ts per use (a getter call under tsx's CommonJS).
const { EMPTY_FRAME, Flag, HEADER_SIZE, Kind, PROTOCOL_VERSION } = protocol;
const F_METADATA = Flag.METADATA;
const F_HEADERS = Flag.HEADERS;
const K_REQUEST = Kind.REQUEST;
const K_TRAILERS = Kind.TRAILERS;
const K_MESSAGE = Kind.MESSAGE;
const K_CANCEL = Kind.CANCEL;
const K_EVENT = Kind.EVENT;

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
    case K_REQUEST: {
      if (len < 14) throw truncated(callId);
      h.timeoutMs = u32(buf, 8);
      const mLen = u16(buf, 12);
      if (14 + mLen > len) throw truncated(callId);
      h.method = methodName(buf, 14, mLen);
      h.bodyEnd = flags & F_METADATA ? readMetadata(buf, 14 + mLen, callId, (h.metadata = new Metadata())) : 14 + mLen;
      return h;
    }
    case K_TRAILERS: {
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
      if (flags & F_HEADERS) off = readMetadata(buf, off, callId, (h.headers = new Metadata()));
      if (flags & F_METADATA) off = readMetadata(buf, off, callId, (h.metadata = new Metadata()));
      h.bodyEnd = off;
      return h;
    }
    case K_MESSAGE:
      if (flags & F_HEADERS) h.bodyEnd = readMetadata(buf, HEADER_SIZE, callId, (h.headers = new Metadata()));
      return h;
    case K_CANCEL:
    case K_EVENT:
      return h;
    default:
      throw new ProtocolError("UNKNOWN_KIND", `unknown packet kind ${kind}`, callId);
  }
}
