/**
 * The TypeScript side of `bench/python/fastpath_rtt.py` (run by it, not by `npm run bench`):
 *
 *   node --import tsx bench/python/fastpath_peer.ts server <raw-endpoint> <protozmq-endpoint>
 *   node --import tsx bench/python/fastpath_peer.ts client <name>=<kind>:<endpoint>...
 *
 * `server`: a raw zeromq.js ROUTER echo and a protozmq `Server` with `bench.Echo/Raw` (bytes in,
 * the same bytes out); prints `ready` and runs until stdin closes.
 * `client`: opens every target (`raw`: a zeromq.js DEALER sending [header-sized frame, payload];
 * `pz`: a protozmq `Channel` calling `bench.Echo/Raw`), prints `ready`, then for each stdin line
 * `<name> <calls> <payload bytes>` makes that many sequential calls and prints their round-trip
 * times in µs as one JSON array. The Python orchestrator interleaves these blocks with its own.
 */
import * as readline from "readline";
import * as zmq from "zeromq";
import { Channel, Codec, MethodDescriptor, Server } from "../../runtime/ts/src/index";

const bytes: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b };
const RAW: MethodDescriptor<Uint8Array, Uint8Array> & { readonly kind: "unary" } = {
  path: "bench.Echo/Raw",
  kind: "unary",
  requestType: bytes,
  responseType: bytes,
};

async function server(rawEp: string, pzEp: string): Promise<void> {
  const router = new zmq.Router({ linger: 0 });
  await router.bind(rawEp);
  const pz = new Server();
  pz.addMethod(RAW, (req: Uint8Array) => req);
  await pz.bind(pzEp);
  void (async () => {
    try {
      for await (const frames of router) await router.send(frames);
    } catch {
      // closed
    }
  })();
  process.stdout.write("ready\n");
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.on("end", () => resolve()));
  router.close();
  await pz.close({ drainTimeoutMs: 100 });
}

type Target = (payload: Uint8Array) => Promise<unknown>;

async function client(specs: string[]): Promise<void> {
  const targets = new Map<string, Target>();
  const closers: (() => unknown)[] = [];
  for (const spec of specs) {
    const [name, rest] = spec.split("=", 2) as [string, string];
    const colon = rest.indexOf(":");
    const kind = rest.slice(0, colon);
    const ep = rest.slice(colon + 1);
    if (kind === "raw") {
      const dealer = new zmq.Dealer({ linger: 0 });
      dealer.connect(ep);
      const header = Buffer.alloc(18, 0x68); // about a PZMQ/1 unary header
      targets.set(name, async (payload) => {
        await dealer.send([header, payload]);
        return dealer.receive();
      });
      closers.push(() => dealer.close());
    } else {
      const channel = await Channel.connect(ep, { connectTimeoutMs: 5000 });
      targets.set(name, (payload) => channel.unary(RAW, payload));
      closers.push(() => channel.close());
    }
  }
  process.stdout.write("ready\n");
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [name, n, size] = line.trim().split(" ") as [string, string, string];
    const call = targets.get(name);
    if (call === undefined) throw new Error(`unknown target ${name}`);
    const payload = Buffer.alloc(Number(size), 0x78);
    const out: number[] = [];
    for (let i = 0; i < Number(n); i++) {
      const t0 = process.hrtime.bigint();
      await call(payload);
      out.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
  for (const close of closers) await close();
}

const [mode, ...args] = process.argv.slice(2);
(mode === "server" ? server(args[0]!, args[1]!) : client(args)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
