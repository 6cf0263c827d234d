/**
 * Where INLINE_MAX_BYTES should be (PZMQ/1 3): the CPU cost of one echo round trip, per message
 * size, with the message sent inline (copied after the header into one frame, read back as a view
 * of that frame) against two frames (header frame + the message, not copied), on raw zeromq.js
 * sockets that do exactly what the runtime's writers and readers do per packet, nothing else.
 * Inline comes twice: each frame a `Buffer.allocUnsafe` of its own ("own": above 4 KiB that is an
 * ArrayBuffer per frame), and frames of 4 KiB or more carved from a shared slab ("slab"), as
 * protocol.ts's encoders do.
 *
 *   node --import tsx bench/ts/inline-threshold.ts [--transport inproc|ipc] [--sizes 64,1024,...]
 *        [--calls 4000] [--rounds 7]
 *
 * ```
 * DEALER ── [header+message] or [header][message] ──▶ ROUTER (echo, re-encoding the same form)
 *        ◀────────────────── same form back ─────────
 * ```
 *
 * Both ends run in this process, so process.cpuUsage() (every thread, libzmq's I/O threads
 * included) is the whole cost of a round trip: two sends, two receives, two copies when inline.
 * The forms take turns per round; printed are the medians and inline ÷ two-frame per round.
 */
import * as zmq from "zeromq";

const HEADER = 30; // a REQUEST header for a short method name, without metadata

interface Args {
  transport: string;
  sizes: number[];
  calls: number;
  rounds: number;
}

function parseArgs(): Args {
  const a: Args = { transport: "inproc", sizes: [64, 512, 1024, 2048, 4096, 8192, 12288, 16384, 24576, 32768, 65536], calls: 4000, rounds: 7 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1]!;
    if (argv[i] === "--transport") a.transport = v;
    else if (argv[i] === "--sizes") a.sizes = v.split(",").map(Number);
    else if (argv[i] === "--calls") a.calls = Number(v);
    else if (argv[i] === "--rounds") a.rounds = Number(v);
  }
  return a;
}

type Form = "own" | "slab" | "two";

const SLAB_SIZE = 4 * (16 * 1024 + 1024);
let slab = new ArrayBuffer(0);
let slabPos = 0;

function alloc(size: number, form: Form): Buffer {
  if (form === "own" || size < 4096) return Buffer.allocUnsafe(size);
  if (slabPos + size > slab.byteLength) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size)).buffer as ArrayBuffer;
    slabPos = 0;
  }
  const b = Buffer.from(slab, slabPos, size);
  slabPos = (slabPos + size + 7) & ~7;
  return b;
}

/** One packet in the chosen form: a fresh header (as the encoders make), the message copied after it when inline. */
function frames(message: Uint8Array, form: Form): Buffer[] {
  if (form === "two") {
    const h = Buffer.allocUnsafe(HEADER);
    h.fill(1);
    return [h, message as Buffer];
  }
  const f = alloc(HEADER + message.length, form);
  f.fill(1, 0, HEADER);
  f.set(message, HEADER);
  return [f];
}

/** The message of a received packet, as the readers take it. */
function messageOf(fs: Buffer[], start: number): Buffer {
  return fs.length - start === 1 ? fs[start]!.subarray(HEADER) : fs[start + 1]!;
}

let seq = 0;

async function run(transport: string, size: number, form: Form, calls: number): Promise<number> {
  const ep = transport === "inproc" ? `inproc://inline-threshold-${++seq}` : `ipc:///tmp/pz-inline-threshold-${process.pid}-${++seq}`;
  const router = new zmq.Router({ linger: 0 });
  await router.bind(ep);
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(ep);
  const message = Buffer.alloc(size, 7);
  const echo = (async () => {
    try {
      for (;;) {
        const fs = await router.receive();
        const m = messageOf(fs, 1);
        await router.send([fs[0]!, ...frames(m, form)]);
      }
    } catch {
      // closed
    }
  })();
  const go = async (n: number): Promise<void> => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      await dealer.send(frames(message, form));
      sum += messageOf(await dealer.receive(), 0).length;
    }
    if (sum !== n * size) throw new Error("bad echo");
  };
  await go(Math.min(500, calls));
  const c0 = process.cpuUsage();
  await go(calls);
  const c = process.cpuUsage(c0);
  dealer.close();
  router.close();
  await echo;
  return (c.user + c.system) / calls;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const a = parseArgs();
  console.log(`${a.transport}, ${a.calls} round trips per block, ${a.rounds} rounds; CPU µs per round trip (both ends)`);
  console.log("size      inline(own)  inline(slab)  two-frame   own÷two  slab÷two");
  const forms: Form[] = ["own", "slab", "two"];
  for (const size of a.sizes) {
    const t: Record<Form, number[]> = { own: [], slab: [], two: [] };
    for (let r = 0; r < a.rounds; r++) {
      // Rotate which form goes first, so a slow stretch of the machine hits all alike.
      for (let k = 0; k < forms.length; k++) {
        const f = forms[(r + k) % forms.length]!;
        t[f].push(await run(a.transport, size, f, a.calls));
      }
    }
    const ratio = (f: Form): string => median(t[f].map((x, i) => x / t.two[i]!)).toFixed(2).padStart(8);
    const med = (f: Form, w: number): string => median(t[f]).toFixed(2).padStart(w);
    console.log(`${String(size).padEnd(9)} ${med("own", 11)}  ${med("slab", 12)}  ${med("two", 9)}  ${ratio("own")}  ${ratio("slab")}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
