/**
 * JS heap bytes allocated per sequential unary call, by allocating function: protozmq `Channel`
 * + `Server` over inproc in this one thread. V8's sampling heap profiler, told to keep objects the
 * minor and major GCs already collected, so the figures are allocation (garbage included), not
 * what is still alive. Line numbers are those of tsx's output, so read the function names.
 *
 *   TSX_TSCONFIG_PATH=bench/tsconfig.run.json node --import tsx bench/ts/alloc-percall.ts [calls] [pz|raw]
 *
 * `raw` measures a raw zeromq.js DEALER/ROUTER echo of the same request the same way, for
 * comparison (bench/tsconfig.run.json loads the compiled package, after `npm run build`).
 *
 * "(V8 API)" is what native code allocates (zeromq.js's promises, received frames and arrays).
 */
import { Session } from "inspector";
import * as zmq from "zeromq";
import { Channel, Server } from "protozmq";
import { Echo, EchoReply, EchoRequest, gen, payload } from "./common";

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function post<T>(s: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
}

/** One sequential protozmq call per invocation, over inproc in this thread. */
async function protozmqEcho(): Promise<() => Promise<unknown>> {
  const server = new Server();
  server.addMethod(Echo, (req: EchoRequest): EchoReply => ({ payload: req.payload }));
  await server.bind("inproc://alloc-percall");
  const ch = await Channel.connect("inproc://alloc-percall");
  const req: EchoRequest = { payload: payload(64) };
  return () => ch.unary(Echo, req);
}

/** The same round trip on raw zeromq.js sockets: the request's bytes sent and echoed back. */
async function rawEcho(): Promise<() => Promise<unknown>> {
  const router = new zmq.Router({ linger: 0 });
  await router.bind("inproc://alloc-percall-raw");
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect("inproc://alloc-percall-raw");
  const frame = Buffer.from(gen.EchoRequest.encode({ payload: payload(64) }));
  void (async () => {
    try {
      for (;;) await router.send(await router.receive());
    } catch {
      // closed at exit
    }
  })();
  return async () => {
    await dealer.send(frame);
    return dealer.receive();
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20000);
  const call = process.argv[3] === "raw" ? await rawEcho() : await protozmqEcho();
  for (let i = 0; i < 5000; i++) await call();
  const s = new Session();
  s.connect();
  await post(s, "HeapProfiler.enable");
  await post(s, "HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < n; i++) await call();
  const { profile } = await post<{ profile: { head: ProfileNode } }>(s, "HeapProfiler.stopSampling");
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode): void => {
    const cf = node.callFrame;
    const key = `${cf.functionName || "(anonymous)"} ${cf.url.split("/").pop() ?? ""}`;
    total += node.selfSize;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  for (const [k, v] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${(v / n).toFixed(0).padStart(6)} B/call  ${k}`);
  console.log(`${(total / n).toFixed(0).padStart(6)} B/call  total`);
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
