/**
 * Shared helpers of the RPC runtime tests: the transport matrix with unique addresses, trivial
 * codecs, method descriptors, and a registry that closes every socket after each test.
 */
import { rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Channel, ChannelOptions } from "../../../runtime/ts/src/channel";
import { Codec, MethodDescriptor, MethodKind } from "../../../runtime/ts/src/call-options";
import { inlineMessage, isInline, PacketHeader } from "../../../runtime/ts/src/protocol";
import { decodeHeader } from "../../../runtime/ts/src/packet-decode";
import { Server, ServerOptions } from "../../../runtime/ts/src/server";

/** Every RPC test runs over each of these (STYLE.md: inproc, ipc and tcp). */
export const TRANSPORTS = ["inproc", "ipc", "tcp"] as const;
export type Transport = (typeof TRANSPORTS)[number];

let counter = 0;
// ipc socket files handed out, removed by Sockets.closeAll: libzmq deletes them only when a
// socket's termination completes, which a test process exiting right away cuts short.
const ipcPaths = new Set<string>();

/** A fresh address to bind: unique inproc name, unique ipc path under the temp dir, tcp port 0 on loopback. */
export function bindAddress(t: Transport): string {
  const n = `${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  switch (t) {
    case "inproc":
      return `inproc://pzmq-test-${n}`;
    case "ipc": {
      const path = join(tmpdir(), `pzmq-test-${n}.sock`);
      ipcPaths.add(path);
      return `ipc://${path}`;
    }
    case "tcp":
      return "tcp://127.0.0.1:0";
  }
}

/** Bytes in, bytes out. */
export const bytes: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => new Uint8Array(b) };

/** UTF-8 text; decoding invalid UTF-8 throws, which lets tests send undecodable requests. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
export const text: Codec<string> = {
  encode: (s) => Buffer.from(s, "utf8"),
  decode: (b) => strictUtf8.decode(b),
};

export function method<K extends MethodKind, T = string>(
  name: string,
  kind: K,
  codec: Codec<T> = text as unknown as Codec<T>,
  extra: { oneway?: boolean } = {},
): MethodDescriptor<T, T> & { readonly kind: K } {
  return { path: `test.Echo/${name}`, kind, requestType: codec, responseType: codec, ...extra };
}

/** Tracks sockets opened by a test and closes them all (linger 0) afterwards. */
export class Sockets {
  private readonly closers: Array<() => Promise<void> | void> = [];
  add<T extends { close(...args: never[]): unknown }>(x: T): T {
    this.closers.push(async () => {
      await (x.close as () => unknown)();
    });
    return x;
  }
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }
  async closeAll(): Promise<void> {
    for (const c of this.closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // already closed
      }
    }
    for (const p of ipcPaths) rmSync(p, { force: true });
    ipcPaths.clear();
  }
}

/** A server bound on a fresh address of transport `t`, set up by `setup`, plus its endpoint. */
export async function startServer(
  sockets: Sockets,
  t: Transport,
  setup: (s: Server) => void,
  options: ServerOptions = {},
): Promise<{ server: Server; endpoint: string }> {
  const server = new Server(options);
  sockets.onClose(() => server.close({ drainTimeoutMs: 0 }));
  setup(server);
  await server.bind(bindAddress(t));
  return { server, endpoint: server.endpoints[0]! };
}

/** A channel connected to `endpoint`, closed after the test. */
export async function connect(sockets: Sockets, endpoint: string, options: ChannelOptions = {}): Promise<Channel> {
  const channel = await Channel.connect(endpoint, { connectTimeoutMs: 5000, ...options });
  sockets.add(channel);
  return channel;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `signal` aborts (with its reason), or rejects after `ms`. */
export function aborted(signal: AbortSignal, ms = 5000): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`signal not aborted within ${ms} ms`)), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve(signal.reason);
    });
  });
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One packet of a raw message: its decoded header, its message, and how many frames it took. */
export interface RawPacket {
  header: PacketHeader;
  payload: Buffer;
  frames: 1 | 2;
}

/**
 * The packets of a message received on a raw socket, from frame `start` (1 after a topic or a
 * routing id), walked as PZMQ/1 3 says: an INLINE header is a whole packet with its message after
 * the body, any other header takes the next frame as its payload.
 */
export function packetsOf(frames: Buffer[], start = 0): RawPacket[] {
  const out: RawPacket[] = [];
  for (let i = start; i < frames.length; ) {
    const f = frames[i]!;
    const header = decodeHeader(f);
    if (isInline(f)) {
      out.push({ header, payload: inlineMessage(f, header), frames: 1 });
      i += 1;
    } else {
      if (i + 1 >= frames.length) throw new Error(`header at frame ${i} has no payload frame`);
      out.push({ header, payload: frames[i + 1]!, frames: 2 });
      i += 2;
    }
  }
  return out;
}

/** The only packet of a message received on a raw socket (after `start` frames). */
export function onlyPacket(frames: Buffer[], start = 0): RawPacket {
  const ps = packetsOf(frames, start);
  if (ps.length !== 1) throw new Error(`expected one packet, got ${ps.length}`);
  return ps[0]!;
}
