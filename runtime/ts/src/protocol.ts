/**
 * PZMQ/1: its constants, the packet header's types and the framing checks (docs/PROTOCOL.md
 * sections 3 to 5 and 10). The header codec is in packet-encode.ts and packet-decode.ts, which
 * import this module (and never the other way round).
 *
 * Every protocol number is defined here once; `runtime/python/protozmq/protocol.py`,
 * `_packet_encode.py` and `_packet_decode.py` mirror this module and the two codec modules name for
 * name (Python's `protocol` also re-exports the codec: there, unlike in ESM, the cycle is safe).
 * The encoders and decoders are on the hot path of every call, so they work directly on `Buffer`
 * (little-endian reads and writes, no `DataView` per packet, no intermediate arrays), and the
 * decoded header is one object of a fixed shape.
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
import type { Metadata } from "./metadata.js";

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
