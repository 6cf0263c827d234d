/**
 * The TypeScript interop client: runs gRPC's interop cases (adapted to protozmq, see
 * test/interop/README.md) against an interop server of either language, with the generated
 * `TestServiceClient`, `UnimplementedServiceClient` and `TestEventsSubscriber`.
 *
 * ```
 * client.ts ── Channel (DEALER) ══ <rpc endpoint> ══▶ server.ts | server.py
 *           ── TestEventsSubscriber (SUB) ══ <events endpoint> ══▶ their TestEventsPublisher
 * ```
 *
 * Usage:
 *   tsx test/interop/rpc/client.ts --server <rpc endpoint> --events <events endpoint> [--case NAME[,NAME...]|all]
 *   tsx test/interop/rpc/client.ts --inproc-server [--case ...]   (the TS server in this process, over inproc)
 *
 * Prints one JSON line per case, `{"case":..., "ok":..., "ms":..., "error"?:...}`, in order, and exits 1
 * if any case failed (2 on bad usage). Each case is bounded by its CASE_TIMEOUT_MS.
 */
import { Channel, Metadata, RpcError, Status, Subscriber, statusName, type PartialMessage } from "protozmq";
import { Empty } from "../../../generated/ts/google/protobuf/empty";
import {
  TestEventsSubscriber,
  TestServiceClient,
  UnimplementedServiceClient,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from "../../../generated/ts/interop/test";
import {
  CASE_TIMEOUT_MS, CASES, CONCURRENT_CALLS, ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE, ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE,
  END_LABEL, EVENT_TICKS, EVENTS_HWM, LARGE_REQUEST_BYTES, LARGE_RESPONSE_BYTES, ONEWAY_CALLS, REQUEST_SIZES, RESPONSE_SIZES,
  SPECIAL_STATUS_MESSAGE, STATUS_MESSAGE, type CaseName, type CaseResult,
} from "./cases";
import { startInteropServer } from "./server";

/** What a case runs against. `signal` aborts when the case times out, so it can release what it holds. */
interface Env {
  readonly channel: Channel;
  readonly client: TestServiceClient;
  readonly eventsEndpoint: string;
  readonly signal: AbortSignal;
}

// ---- assertions

class CaseFailure extends Error {}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new CaseFailure(message);
}

const ZERO = Buffer.alloc(LARGE_RESPONSE_BYTES);
const zeros = (n: number): Uint8Array => new Uint8Array(n);

function checkZeros(body: Uint8Array | undefined, size: number, what: string): void {
  check(body !== undefined && body.length === size, `${what}: payload of ${body?.length ?? "no"} bytes, expected ${size}`);
  const big = size <= ZERO.length ? ZERO : Buffer.alloc(size);
  check(Buffer.from(body.buffer, body.byteOffset, body.length).equals(big.subarray(0, size)), `${what}: payload is not all zeros`);
}

/** Awaits `p`, which must fail with `code` (and `message`, when given, byte for byte). */
async function expectStatus(p: Promise<unknown>, code: Status, message?: string, what = "call"): Promise<RpcError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  check(outcome instanceof RpcError, `${what}: expected ${statusName(code)}, got ${outcome === undefined ? "success" : String(outcome)}`);
  check(outcome.code === code, `${what}: expected ${statusName(code)}, got ${statusName(outcome.code)} ${JSON.stringify(outcome.message)}`);
  if (message !== undefined) {
    check(outcome.message === message, `${what}: status message ${JSON.stringify(outcome.message)}, expected ${JSON.stringify(message)}`);
  }
  return outcome;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sameBytes = (a: unknown, b: Uint8Array): boolean => a instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));

// ---- a request stream the case writes to as it goes (ping_pong and friends)

class RequestQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) yield this.items.shift()!;
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

// ---- the cases (definitions: test/interop/README.md)

const largeRequest = { responseSize: LARGE_RESPONSE_BYTES, payload: { body: zeros(LARGE_REQUEST_BYTES) } };
const pingPongRequest = (i: number): PartialMessage<StreamingOutputCallRequest> => ({
  responseParameters: [{ size: RESPONSE_SIZES[i]! }],
  payload: { body: zeros(REQUEST_SIZES[i]!) },
});

const cases: Record<CaseName, (env: Env) => Promise<void>> = {
  async empty_unary({ client }) {
    const reply = await client.emptyCall({});
    check(reply !== undefined && Empty.encode(reply).length === 0, "EmptyCall: response is not an empty Empty");
  },

  async large_unary({ client }) {
    const reply = await client.unaryCall(largeRequest);
    checkZeros(reply.payload?.body, LARGE_RESPONSE_BYTES, "UnaryCall");
  },

  async client_streaming({ client }) {
    const reply = await client.streamingInputCall(REQUEST_SIZES.map((n) => ({ payload: { body: zeros(n) } })));
    check(reply.aggregatedPayloadSize === 74_922, `aggregated_payload_size ${reply.aggregatedPayloadSize}, expected 74922`);
  },

  async server_streaming({ client }) {
    const replies = await collect(client.streamingOutputCall({ responseParameters: RESPONSE_SIZES.map((size) => ({ size })) }));
    checkSizes(replies, RESPONSE_SIZES);
  },

  async ping_pong({ client }) {
    const requests = new RequestQueue<PartialMessage<StreamingOutputCallRequest>>();
    const responses = client.fullDuplexCall(requests)[Symbol.asyncIterator]();
    for (let i = 0; i < REQUEST_SIZES.length; i++) {
      requests.push(pingPongRequest(i));
      const r = await responses.next();
      check(r.done !== true, `response ${i + 1}: the stream ended`);
      checkZeros(r.value.payload?.body, RESPONSE_SIZES[i]!, `response ${i + 1}`);
    }
    requests.end();
    const last = await responses.next();
    check(last.done === true, "more than four responses");
  },

  async empty_stream({ client }) {
    const replies = await collect(client.fullDuplexCall([]));
    check(replies.length === 0, `${replies.length} responses, expected none`);
  },

  async custom_metadata({ client }) {
    const metadata = (): Metadata => new Metadata().add(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE).add(ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE);
    const checkEcho = (what: string, header: Metadata | undefined, trailer: Metadata | undefined): void => {
      check(header !== undefined && trailer !== undefined, `${what}: no response headers or trailers reported`);
      check(header.get(ECHO_INITIAL_KEY) === ECHO_INITIAL_VALUE, `${what}: header ${ECHO_INITIAL_KEY} = ${JSON.stringify(header.toJSON())}`);
      check(sameBytes(trailer.get(ECHO_TRAILING_KEY), ECHO_TRAILING_VALUE), `${what}: trailer ${ECHO_TRAILING_KEY} = ${JSON.stringify(trailer.toJSON())}`);
      check(!header.has(ECHO_TRAILING_KEY) && !trailer.has(ECHO_INITIAL_KEY), `${what}: an echo key came back in the wrong place`);
    };
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const reply = await client.unaryCall(largeRequest, { metadata: metadata(), onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
    checkZeros(reply.payload?.body, LARGE_RESPONSE_BYTES, "UnaryCall");
    checkEcho("UnaryCall", header, trailer);

    header = trailer = undefined;
    const request = { responseParameters: [{ size: LARGE_RESPONSE_BYTES }], payload: { body: zeros(LARGE_REQUEST_BYTES) } };
    const replies = await collect(
      client.fullDuplexCall([request], { metadata: metadata(), onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) }),
    );
    checkSizes(replies, [LARGE_RESPONSE_BYTES]);
    checkEcho("FullDuplexCall", header, trailer);
  },

  async status_code_and_message({ client }) {
    const responseStatus = { code: Status.UNKNOWN, message: STATUS_MESSAGE };
    await expectStatus(client.unaryCall({ responseStatus }), Status.UNKNOWN, STATUS_MESSAGE, "UnaryCall");
    await expectStatus(collect(client.fullDuplexCall([{ responseStatus }])), Status.UNKNOWN, STATUS_MESSAGE, "FullDuplexCall");
  },

  async special_status_message({ client }) {
    const responseStatus = { code: Status.UNKNOWN, message: SPECIAL_STATUS_MESSAGE };
    await expectStatus(client.unaryCall({ responseStatus }), Status.UNKNOWN, SPECIAL_STATUS_MESSAGE, "UnaryCall");
  },

  async unimplemented_method({ client }) {
    await expectStatus(client.unimplementedCall({}), Status.UNIMPLEMENTED, undefined, "TestService/UnimplementedCall");
  },

  async unimplemented_service({ channel }) {
    const other = new UnimplementedServiceClient(channel);
    // The same message from either server.
    await expectStatus(other.unimplementedCall({}), Status.UNIMPLEMENTED, "unknown service protozmq.fixtures.interop.UnimplementedService", "UnimplementedService/UnimplementedCall");
  },

  async cancel_after_begin({ client }) {
    const ac = new AbortController();
    const requests = new RequestQueue<{ payload: { body: Uint8Array } }>(); // nothing is ever sent
    const call = client.streamingInputCall(requests, { signal: ac.signal });
    await new Promise((r) => setImmediate(r)); // the REQUEST (the call's "metadata") goes out first
    ac.abort();
    requests.end();
    await expectStatus(call, Status.CANCELLED, undefined, "StreamingInputCall");
  },

  async cancel_after_first_response({ client }) {
    const ac = new AbortController();
    const requests = new RequestQueue<PartialMessage<StreamingOutputCallRequest>>();
    const responses = client.fullDuplexCall(requests, { signal: ac.signal })[Symbol.asyncIterator]();
    requests.push(pingPongRequest(0));
    const first = await responses.next();
    check(first.done !== true, "the stream ended before the first response");
    checkZeros(first.value.payload?.body, RESPONSE_SIZES[0], "first response");
    ac.abort();
    requests.end();
    await expectStatus(responses.next(), Status.CANCELLED, undefined, "FullDuplexCall after cancel");
  },

  async timeout_on_sleeping_server({ client }) {
    // gRPC's procedure: a bidi call with a 1 ms deadline whose server waits for more requests.
    const requests = new RequestQueue<PartialMessage<StreamingOutputCallRequest>>();
    requests.push({ payload: { body: zeros(REQUEST_SIZES[0]) } });
    const responses = client.fullDuplexCall(requests, { timeoutMs: 1 })[Symbol.asyncIterator]();
    await expectStatus(responses.next(), Status.DEADLINE_EXCEEDED, undefined, "FullDuplexCall with 1 ms");
    requests.end();
    // protozmq's addition: a unary handler that sleeps (sleep_ms) past a 50 ms deadline.
    const started = Date.now();
    await expectStatus(client.unaryCall({ sleepMs: 2000 }, { timeoutMs: 50 }), Status.DEADLINE_EXCEEDED, undefined, "UnaryCall sleeping 2 s");
    check(Date.now() - started < 1000, `the 50 ms deadline took ${Date.now() - started} ms to fire`);
  },

  async concurrent_large_unary({ client }) {
    const replies = await Promise.all(Array.from({ length: CONCURRENT_CALLS }, () => client.unaryCall(largeRequest)));
    replies.forEach((r, i) => checkZeros(r.payload?.body, LARGE_RESPONSE_BYTES, `call ${i + 1} of ${CONCURRENT_CALLS}`));
  },

  async events({ eventsEndpoint, signal }) {
    const sub = new TestEventsSubscriber(new Subscriber({ receiveHighWaterMark: EVENTS_HWM }));
    const onAbort = (): void => sub.close();
    signal.addEventListener("abort", onAbort);
    try {
      sub.connect(eventsEndpoint);
      sub.subscribe("ticks"); // the server publishes a burst once it sees this subscription
      let n = 0;
      let firstSeq = 0;
      let ended = false;
      for await (const ev of sub) {
        check(ev.$case === "ticks", `received a ${ev.$case} event on ${ev.topic}: the subscription is for ticks only`);
        if (n === 0) firstSeq = ev.seq;
        check(ev.seq === (firstSeq + n) % 2 ** 32, `event ${n}: wire sequence number ${ev.seq}, expected ${firstSeq + n}`);
        if (ev.event.label === END_LABEL) {
          check(ev.event.seq === BigInt(EVENT_TICKS), `end tick says ${ev.event.seq} ticks, expected ${EVENT_TICKS}`);
          ended = true;
          break;
        }
        check(ev.event.seq === BigInt(n), `tick ${n} arrived as Tick.seq ${ev.event.seq}: out of order or lost`);
        n++;
      }
      check(ended, `the stream of events stopped after ${n} ticks`);
      check(n === EVENT_TICKS, `${n} ticks, expected ${EVENT_TICKS}`);
      check(sub.subscriber.gaps === 0 && sub.undecodable === 0, `gaps ${sub.subscriber.gaps}, undecodable ${sub.undecodable}`);
    } finally {
      signal.removeEventListener("abort", onAbort);
      sub.close();
    }
  },

  async oneway({ client }) {
    const base = BigInt(Date.now()) * 1000n; // distinct from any earlier run against the same server
    await Promise.all(Array.from({ length: ONEWAY_CALLS }, (_, i) => client.notify({ seq: base + BigInt(i + 1) })));
    const last = await client.lastNotified({});
    check(last.seq === base + BigInt(ONEWAY_CALLS), `LastNotified ${last.seq}, expected ${base + BigInt(ONEWAY_CALLS)}`);
  },
};

function checkSizes(replies: readonly StreamingOutputCallResponse[], sizes: readonly number[]): void {
  check(replies.length === sizes.length, `${replies.length} responses, expected ${sizes.length}`);
  replies.forEach((r, i) => checkZeros(r.payload?.body, sizes[i]!, `response ${i + 1}`));
}

// ---- running

async function runCase(name: CaseName, env: Omit<Env, "signal">): Promise<CaseResult> {
  const ac = new AbortController();
  const limit = CASE_TIMEOUT_MS[name];
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      cases[name]({ ...env, signal: ac.signal }),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new CaseFailure(`timed out after ${limit} ms`)), limit))),
    ]);
    return { case: name, ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const error = err instanceof CaseFailure ? err.message : err instanceof RpcError ? err.toString() : String((err as Error)?.stack ?? err);
    return { case: name, ok: false, ms: Math.round(performance.now() - started), error };
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: client.ts (--server <rpc endpoint> --events <events endpoint> | --inproc-server) [--case NAME[,NAME...]|all]\n`);
  process.exit(2);
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = new Map<string, string>();
  let inproc = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--inproc-server") inproc = true;
    else if (a === "--server" || a === "--events" || a === "--case") opts.set(a, argv[++i] ?? usage(`${a} needs a value`));
    else usage(`unknown argument ${a}`);
  }
  const wanted = (opts.get("--case") ?? "all") === "all" ? [...CASES] : opts.get("--case")!.split(",");
  for (const c of wanted) if (!(CASES as readonly string[]).includes(c)) usage(`unknown case ${c}; cases: ${CASES.join(", ")}`);

  let rpc = opts.get("--server");
  let events = opts.get("--events");
  let inprocServer: Awaited<ReturnType<typeof startInteropServer>> | undefined;
  if (inproc) {
    inprocServer = await startInteropServer(`inproc://pzmq-interop-rpc-${process.pid}`, `inproc://pzmq-interop-events-${process.pid}`);
    ({ rpcEndpoint: rpc, eventsEndpoint: events } = inprocServer);
  }
  if (rpc === undefined || events === undefined) usage("--server and --events (or --inproc-server) are required");

  const channel = await Channel.connect(rpc, { connectTimeoutMs: 5000 });
  const env = { channel, client: new TestServiceClient(channel), eventsEndpoint: events };
  let failed = 0;
  for (const name of wanted as CaseName[]) {
    const result = await runCase(name, env);
    if (!result.ok) failed++;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  await channel.close();
  await inprocServer?.close();
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`interop client failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
