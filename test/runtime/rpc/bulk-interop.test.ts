/**
 * Large payloads and batched events across languages, over ipc and tcp: byte-exact.
 *
 * ```
 * TS Channel ── test.Bulk/Echo BytesValue (up to 3 MiB) ──▶ Python Server (fixtures/bulk_peer.py)
 * Python Channel ── the same ──▶ TS Server
 * TS Publisher (batch 16) ── runs of events, 8 B .. 200 KiB ──▶ Python Subscriber
 * ```
 * The sizes straddle the thresholds of both runtimes: 128 B (zeromq.js zero-copy), 64 KiB (the TS
 * writer hands its buffer over; pyzmq copy=False), 1 MiB.
 */
import { createHash } from "crypto";
import * as path from "path";
import { BytesValue } from "../../../generated/ts/google/protobuf/wrappers";
import { Publisher } from "../../../runtime/ts/src/events";
import type { MethodDescriptor } from "../../../runtime/ts/src/index";
import { JsonLinePeer } from "../../interop/py-peer";
import { bindAddress, connect, Sockets, startServer } from "./helpers";

const ECHO: MethodDescriptor<BytesValue, BytesValue> & { readonly kind: "unary" } = {
  path: "test.Bulk/Echo",
  kind: "unary",
  requestType: BytesValue,
  responseType: BytesValue,
};
const MAX = 8 << 20;
const SIZES = [0, 1, 128, 129, (1 << 16) - 1, 1 << 16, 300_001, 1 << 20, (1 << 20) + 3, 3 << 20];

/** The same bytes as bulk_peer.py's pattern(): never all zero, different per seed. */
function pattern(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return b;
}

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe.each(["ipc", "tcp"] as const)("large payloads TS <-> Python over %s", (t) => {
  let peer: JsonLinePeer;
  let pyEndpoint: string;
  beforeAll(async () => {
    peer = new JsonLinePeer(path.join(__dirname, "fixtures", "bulk_peer.py"), [bindAddress(t)]);
    pyEndpoint = ((await peer.ready()) as { ready: string }).ready;
  });
  afterAll(() => peer.close());

  it("a TS client's payloads come back from a Python server byte for byte", async () => {
    const ch = await connect(sockets, pyEndpoint, { maxMessageBytes: MAX });
    for (const [i, size] of SIZES.entries()) {
      const body = pattern(size, i);
      const reply = await ch.unary(ECHO, { value: body }, { timeoutMs: 10_000 });
      expect(reply.value.length).toBe(size);
      expect(Buffer.from(reply.value).equals(Buffer.from(body))).toBe(true);
    }
  });

  it("a Python client's payloads come back from a TS server byte for byte", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(ECHO, (req: BytesValue) => ({ value: req.value })), { maxMessageBytes: MAX });
    const answer = await peer.request<{ ok: boolean[] }>({ call: endpoint, sizes: SIZES }, 30_000);
    expect(answer.ok).toEqual(SIZES.map(() => true));
  });

  it("batched events from a TS publisher reach a Python subscriber in order, exact, none lost", async () => {
    const pub = sockets.add(new Publisher({ batch: 16, sendHighWaterMark: 100_000 }));
    await pub.bind(bindAddress(t));
    await peer.request({ subscribe: pub.endpoints[0], prefix: "bulk.E/" });
    expect(await pub.waitForSubscriber("bulk.E/", 5000)).toBe(true);
    // Runs of 1..12 events, alternating topics; sizes cycle through small, >128 B and >64 KiB.
    const sizes = [8, 200, 70_000, 0, 1000, 200_000];
    const sent: Array<[string, number, number, string]> = [];
    const seqs = new Map<string, number>();
    for (let run = 1; run <= 12; run++) {
      const topic = run % 2 ? "bulk.E/odd" : "bulk.E/even";
      for (let k = 0; k < run; k++) {
        const body = pattern(sizes[sent.length % sizes.length]!, sent.length);
        const seq = seqs.get(topic) ?? 0;
        seqs.set(topic, seq + 1);
        pub.publish(topic, body);
        sent.push([topic, seq, body.length, createHash("sha256").update(body).digest("hex")]);
      }
    }
    await pub.flush();
    const got = await peer.request<{ events: unknown[]; gaps: number; dropped: number }>({ receive: sent.length }, 60_000);
    expect(got.events).toEqual(sent);
    expect([got.gaps, got.dropped]).toEqual([0, 0]);
  });
});
