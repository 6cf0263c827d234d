/**
 * The generated service code of schemas/interop/test.proto (generated/ts/interop/test.ts) over real
 * ZeroMQ sockets, on inproc, ipc and tcp.
 *
 * ```
 * TestServiceClient ─┐                      ┌─ registerTestService(server, new Impl())
 *                    ├─ Channel (DEALER) ══▶ Server (ROUTER)
 * UnimplementedServiceClient ─┘               (UnimplementedService: nothing registered)
 *
 * TestEventsPublisher (XPUB) ── "pkg.TestEvents/<Method>[/suffix]" | EVENT seq | payload ──▶
 *     ticks      ─▶ TestEventsSubscriber A  subscribe("ticks")          any suffix
 *     alerts/red ─▶ TestEventsSubscriber B  subscribe(["alerts"], "red")
 *     everything ─▶ TestEventsSubscriber C  subscribe("all")
 * ```
 */
import { Metadata, RpcError, Status, type ServerCallContext } from "protozmq";
import { Empty } from "../../../generated/ts/google/protobuf/empty";
import {
  Ping, SimpleResponse, StreamingInputCallResponse, StreamingOutputCallResponse, TestEvents$events, TestEventsPublisher,
  TestEventsSubscriber, TestServiceClient, UnimplementedServiceClient, UnimplementedTestService, registerTestService,
  type SimpleRequest, type StreamingInputCallRequest, type StreamingOutputCallRequest, type TestEventsEvent,
} from "../../../generated/ts/interop/test";
import { bindAddress, connect, deferred, Sockets, sleep, startServer, TRANSPORTS } from "../../runtime/rpc/helpers";

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** The interop server's behaviour (test.proto's comments), minus `UnimplementedCall`. */
class Impl extends UnimplementedTestService {
  lastSeq = 0n;

  override emptyCall(): Empty {
    return Empty.create();
  }

  override async unaryCall(req: SimpleRequest, ctx: ServerCallContext): Promise<SimpleResponse> {
    if (req.echoMetadata) {
      const v = ctx.metadata.get("x-echo") ?? "";
      ctx.setHeader({ "x-echo": v });
      ctx.setTrailer({ "x-echo-trailer": v });
    }
    if (req.sleepMs > 0) await sleep(req.sleepMs);
    const status = req.responseStatus;
    if (status !== undefined && status.code !== 0) throw new RpcError(status.code, status.message);
    return SimpleResponse.create({ payload: { body: new Uint8Array(req.responseSize).fill(7) } });
  }

  override async *streamingOutputCall(req: StreamingOutputCallRequest): AsyncGenerator<StreamingOutputCallResponse> {
    for (const p of req.responseParameters) yield StreamingOutputCallResponse.create({ payload: { body: new Uint8Array(p.size) } });
  }

  override async streamingInputCall(requests: AsyncIterable<StreamingInputCallRequest>): Promise<StreamingInputCallResponse> {
    let size = 0;
    for await (const r of requests) size += r.payload?.body.length ?? 0;
    return StreamingInputCallResponse.create({ aggregatedPayloadSize: size });
  }

  override async *fullDuplexCall(requests: AsyncIterable<StreamingOutputCallRequest>): AsyncGenerator<StreamingOutputCallResponse> {
    for await (const r of requests) {
      yield StreamingOutputCallResponse.create({ payload: { body: new Uint8Array(r.responseParameters[0]?.size ?? 0) } });
    }
  }

  override notify(req: Ping): void {
    this.lastSeq = req.seq;
  }

  override lastNotified(): Ping {
    return Ping.create({ seq: this.lastSeq });
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RpcError);
  return err as RpcError;
}

describe.each(TRANSPORTS)("generated TestService over %s", (t) => {
  let client: TestServiceClient;
  let unimplemented: UnimplementedServiceClient;

  beforeEach(async () => {
    const { endpoint } = await startServer(sockets, t, (server) => registerTestService(server, new Impl()));
    const channel = await connect(sockets, endpoint);
    client = new TestServiceClient(channel);
    unimplemented = new UnimplementedServiceClient(channel);
  });

  it("unary: empty, sized payloads from partial requests, statuses, metadata, deadlines", async () => {
    expect(await client.emptyCall({})).toEqual(Empty.create());
    const reply = await client.unaryCall({ responseSize: 5, payload: { body: new Uint8Array([1, 2]) } });
    expect(reply.payload?.body).toEqual(new Uint8Array(5).fill(7));

    const err = await rejection(client.unaryCall({ responseStatus: { code: Status.NOT_FOUND, message: "no such unit ✓ " } }));
    expect([err.code, err.message]).toEqual([Status.NOT_FOUND, "no such unit ✓ "]);

    const header = deferred<Metadata>();
    const trailer = deferred<Metadata>();
    await client.unaryCall({ echoMetadata: true }, {
      metadata: new Metadata({ "x-echo": "r-17" }), onHeader: header.resolve, onTrailer: trailer.resolve,
    });
    expect((await header.promise).get("x-echo")).toBe("r-17");
    expect((await trailer.promise).get("x-echo-trailer")).toBe("r-17");

    const late = await rejection(client.unaryCall({ sleepMs: 300 }, { timeoutMs: 30 }));
    expect(late.code).toBe(Status.DEADLINE_EXCEEDED);
  });

  it("server streaming yields one response per parameter", async () => {
    const sizes = (await collect(client.streamingOutputCall({ responseParameters: [{ size: 1 }, { size: 0 }, { size: 3 }] })))
      .map((r) => r.payload?.body.length);
    expect(sizes).toEqual([1, 0, 3]);
  });

  it("client streaming sums partial requests from sync and async iterables", async () => {
    const chunks = [{ payload: { body: new Uint8Array(2) } }, {}, { payload: { body: new Uint8Array(5) } }];
    expect(await client.streamingInputCall(chunks)).toEqual(StreamingInputCallResponse.create({ aggregatedPayloadSize: 7 }));
    async function* slow(): AsyncGenerator<{ payload: { body: Uint8Array } }> {
      for (const n of [1, 10, 100]) {
        await sleep(1);
        yield { payload: { body: new Uint8Array(n) } };
      }
    }
    expect((await client.streamingInputCall(slow())).aggregatedPayloadSize).toBe(111);
  });

  it("bidi streaming answers each request in order", async () => {
    const requests = [3, 1, 4, 1, 5].map((size) => ({ responseParameters: [{ size }] }));
    const sizes = (await collect(client.fullDuplexCall(requests))).map((r) => r.payload?.body.length);
    expect(sizes).toEqual([3, 1, 4, 1, 5]);
  });

  it("oneway Notify is observed by LastNotified", async () => {
    await expect(client.notify({ seq: 42n })).resolves.toBeUndefined();
    // Same connection, so the server handles Notify before LastNotified.
    expect((await client.lastNotified({})).seq).toBe(42n);
  });

  it("UNIMPLEMENTED: a method the implementation leaves out, and a service nobody registers", async () => {
    const missing = await rejection(client.unimplementedCall({}));
    expect([missing.code, missing.message])
      .toEqual([Status.UNIMPLEMENTED, "method protozmq.fixtures.interop.TestService/UnimplementedCall is not implemented"]);
    const unknown = await rejection(unimplemented.unimplementedCall({}));
    expect([unknown.code, unknown.message]).toEqual([Status.UNIMPLEMENTED, "unknown service protozmq.fixtures.interop.UnimplementedService"]);
  });
});

/** Events from `sub` until one with label "end" (excluded), or fail after `ms` (closing ends the loop). */
async function untilEnd(sub: TestEventsSubscriber, ms = 5000): Promise<TestEventsEvent[]> {
  const out: TestEventsEvent[] = [];
  const timer = setTimeout(() => sub.close(), ms);
  for await (const ev of sub) {
    if (ev.event.label === "end") break;
    out.push(ev);
  }
  clearTimeout(timer);
  return out;
}

const short = (evs: TestEventsEvent[]): string[] => evs.map((e) => `${e.$case} ${e.event.seq} ${e.topic.slice(e.topic.indexOf("/") + 1)}`);

describe.each(TRANSPORTS)("generated TestEvents over %s", (t) => {
  it("publishes typed events; subscribers filter by method and suffix; undecodable events are counted", async () => {
    const pub = sockets.add(new TestEventsPublisher());
    await pub.bind(bindAddress(t));
    const endpoint = pub.publisher.endpoints[0]!;
    const ticks = sockets.add(new TestEventsSubscriber());
    const redAlerts = sockets.add(new TestEventsSubscriber());
    const all = sockets.add(new TestEventsSubscriber());
    for (const s of [ticks, redAlerts, all]) s.connect(endpoint);
    // One at a time, each wait satisfiable only by the subscription just made (no sleeping).
    ticks.subscribe("ticks");
    expect(await pub.publisher.waitForSubscriber(TestEvents$events.ticks.topic, 5000)).toBe(true);
    redAlerts.subscribe(["alerts"], "red");
    expect(await pub.publisher.waitForSubscriber(`${TestEvents$events.alerts.topic}/red`, 5000)).toBe(true);
    all.subscribe("all");
    expect(await pub.publisher.waitForSubscriber("protozmq.fixtures.interop.TestEvents/Other", 5000)).toBe(true);

    pub.ticks({ seq: 1n, label: "a" });
    pub.ticks({ seq: 2n }, "blue");
    pub.alerts({ seq: 3n }, "red");
    pub.alerts({ seq: 4n }, "green");
    pub.alerts({ seq: 5n });
    pub.publisher.publish(TestEvents$events.ticks.topic, new Uint8Array([0xff])); // truncated varint: does not decode
    pub.publisher.publish("protozmq.fixtures.interop.TestEvents/Unknown", new Uint8Array()); // a newer schema's event
    pub.ticks({ label: "end" });
    pub.alerts({ label: "end" }, "red");
    await pub.publisher.flush();

    const [a, b, c] = await Promise.all([untilEnd(ticks), untilEnd(redAlerts), untilEnd(all)]);
    expect(short(a)).toEqual(["ticks 1 Ticks", "ticks 2 Ticks/blue"]);
    expect(a.map((e) => e.seq)).toEqual([0, 0]);
    expect(ticks.undecodable).toBe(1);
    expect(short(b)).toEqual(["alerts 3 Alerts/red"]);
    expect(redAlerts.undecodable).toBe(0);
    expect(short(c)).toEqual(["ticks 1 Ticks", "ticks 2 Ticks/blue", "alerts 3 Alerts/red", "alerts 4 Alerts/green", "alerts 5 Alerts"]);
    expect(all.undecodable).toBe(2);
  });
});
