/**
 * The TypeScript interop server: gRPC's interop `TestService` (schemas/interop/test.proto) built on the
 * generated `registerTestService`, plus a `TestEvents` publisher on a second endpoint.
 *
 * ```
 * clients ══ DEALER ══▶ Server (ROUTER, <rpc endpoint>) ── registerTestService(server, new InteropService())
 * subscriber ══ SUB ══▶ TestEventsPublisher (XPUB, <events endpoint>)
 *     SUB "…/TestEvents/Ticks"  ──▶ the publisher sees the subscription (waitForSubscriber)
 *                               ◀── 10,000 Ticks, seq 0..9999, one Alert every 10 (filtered out), then Tick "end"
 *     (re-armed once no subscription is left, for the next subscriber)
 * ```
 *
 * Usage: `tsx test/interop/rpc/server.ts <rpc endpoint> <events endpoint> [--ticks N]`. Binds both (tcp
 * port 0 picks a free port), prints one line `ready <rpc endpoint> <events endpoint>` with the bound
 * endpoints, and serves until SIGTERM, SIGINT or the end of stdin. `client.ts --inproc-server` runs it in
 * its own process instead, over inproc.
 */
import { Publisher, RpcError, Server, type ServerCallContext } from "protozmq";
import { Empty } from "../../../generated/ts/google/protobuf/empty";
import {
  Ping,
  SimpleResponse,
  StreamingInputCallResponse,
  StreamingOutputCallResponse,
  TestEvents$events,
  TestEventsPublisher,
  UnimplementedTestService,
  registerTestService,
  type EchoStatus,
  type ResponseParameters,
  type SimpleRequest,
  type StreamingInputCallRequest,
  type StreamingOutputCallRequest,
} from "../../../generated/ts/interop/test";
import { ALERT_EVERY, ECHO_INITIAL_KEY, ECHO_TRAILING_KEY, END_LABEL, EVENT_TICKS, EVENTS_HWM } from "./cases";

/** Resolves after `ms`, or rejects with the signal's reason (an RpcError) when the call ends first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** gRPC's "Echo Metadata": the echo keys of the request come back as a response header and a trailer. */
function echoMetadata(ctx: ServerCallContext): void {
  const initial = ctx.metadata.getAll(ECHO_INITIAL_KEY);
  if (initial.length > 0) ctx.setHeader(initial.map((v) => [ECHO_INITIAL_KEY, v] as const));
  const trailing = ctx.metadata.getAll(ECHO_TRAILING_KEY);
  if (trailing.length > 0) ctx.setTrailer(trailing.map((v) => [ECHO_TRAILING_KEY, v] as const));
}

/** gRPC's "Echo Status": a request carrying a non-zero status ends the call with it. */
function echoStatus(status: EchoStatus | undefined): void {
  if (status !== undefined && status.code !== 0) throw new RpcError(status.code, status.message);
}

const zeros = (n: number): Uint8Array => new Uint8Array(n);

/** One response per parameter, each after its `interval_us` ("Observe ResponseParameters.interval_us"). */
async function* respond(params: readonly ResponseParameters[], signal: AbortSignal): AsyncGenerator<StreamingOutputCallResponse> {
  for (const p of params) {
    if (p.intervalUs > 0) await sleep(p.intervalUs / 1000, signal);
    yield StreamingOutputCallResponse.create({ payload: { body: zeros(p.size) } });
  }
}

/**
 * gRPC's interop server features: EmptyCall, UnaryCall, StreamingOutputCall, StreamingInputCall,
 * FullDuplexCall, Echo Status, Echo Metadata; protozmq's Notify/LastNotified and `sleep_ms`.
 * UnimplementedCall is left to the generated base class (UNIMPLEMENTED).
 */
export class InteropService extends UnimplementedTestService {
  private lastSeq = 0n;

  override emptyCall(): Empty {
    return Empty.create();
  }

  override async unaryCall(req: SimpleRequest, ctx: ServerCallContext): Promise<SimpleResponse> {
    echoMetadata(ctx);
    if (req.sleepMs > 0) await sleep(req.sleepMs, ctx.signal);
    echoStatus(req.responseStatus);
    return SimpleResponse.create({ payload: { body: zeros(req.responseSize) } });
  }

  override streamingOutputCall(req: StreamingOutputCallRequest, ctx: ServerCallContext): AsyncGenerator<StreamingOutputCallResponse> {
    echoMetadata(ctx);
    echoStatus(req.responseStatus);
    return respond(req.responseParameters, ctx.signal);
  }

  override async streamingInputCall(requests: AsyncIterable<StreamingInputCallRequest>): Promise<StreamingInputCallResponse> {
    let size = 0;
    for await (const r of requests) size += r.payload?.body.length ?? 0;
    return StreamingInputCallResponse.create({ aggregatedPayloadSize: size });
  }

  override async *fullDuplexCall(
    requests: AsyncIterable<StreamingOutputCallRequest>,
    ctx: ServerCallContext,
  ): AsyncGenerator<StreamingOutputCallResponse> {
    echoMetadata(ctx);
    for await (const r of requests) {
      echoStatus(r.responseStatus);
      yield* respond(r.responseParameters, ctx.signal);
    }
  }

  override notify(req: Ping): void {
    this.lastSeq = req.seq;
  }

  override lastNotified(): Ping {
    return Ping.create({ seq: this.lastSeq });
  }
}

/** Publishes one burst: EVENT_TICKS ticks with an alert every ALERT_EVERY, then the end tick. */
function publishBurst(pub: TestEventsPublisher, ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    pub.ticks({ seq: BigInt(i), label: "tick" });
    if (i % ALERT_EVERY === 0) pub.alerts({ seq: BigInt(i), label: "alert" });
  }
  pub.ticks({ seq: BigInt(ticks), label: END_LABEL });
}

/** A running interop server: its bound endpoints and how to stop it. */
export interface RunningServer {
  readonly rpcEndpoint: string;
  readonly eventsEndpoint: string;
  close(): Promise<void>;
}

/**
 * Binds the RPC server and the events publisher, and publishes a burst of `ticks` whenever a subscriber
 * subscribes to Ticks (once it is gone, the next subscriber gets a burst of its own).
 */
export async function startInteropServer(rpcEndpoint: string, eventsEndpoint: string, ticks = EVENT_TICKS): Promise<RunningServer> {
  const server = new Server();
  registerTestService(server, new InteropService());
  await server.bind(rpcEndpoint);
  const pub = new TestEventsPublisher(new Publisher({ sendHighWaterMark: EVENTS_HWM }));
  await pub.bind(eventsEndpoint);

  const stop = new AbortController();
  const serveEvents = (async (): Promise<void> => {
    while (!stop.signal.aborted) {
      if (!(await pub.publisher.waitForSubscriber(TestEvents$events.ticks.topic, 500))) continue;
      publishBurst(pub, ticks);
      await pub.publisher.flush();
      while (pub.publisher.subscriptions > 0 && !stop.signal.aborted) await new Promise((r) => setTimeout(r, 20));
    }
  })();

  return {
    rpcEndpoint: server.endpoints[0]!,
    eventsEndpoint: pub.publisher.endpoints[0]!,
    async close(): Promise<void> {
      stop.abort();
      await serveEvents;
      await Promise.all([server.close({ drainTimeoutMs: 500 }), pub.close()]);
    },
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const args = [...argv];
  let ticks = EVENT_TICKS;
  const at = args.indexOf("--ticks");
  if (at >= 0) ticks = Number(args.splice(at, 2)[1]);
  const [rpc, events] = args;
  if (rpc === undefined || events === undefined || !Number.isInteger(ticks) || ticks < 0) {
    process.stderr.write("usage: server.ts <rpc endpoint> <events endpoint> [--ticks N]\n");
    process.exit(2);
  }
  const running = await startInteropServer(rpc, events, ticks);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.stdin.on("end", shutdown).on("error", shutdown).resume();
  process.stdout.write(`ready ${running.rpcEndpoint} ${running.eventsEndpoint}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`interop server failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
