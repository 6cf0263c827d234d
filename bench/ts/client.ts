/**
 * The TypeScript bench client, started by bench/run.ts with a plan of jobs (bench/ts/common.ts):
 *
 *   node --import tsx bench/ts/client.ts <plan.json> <results.json>
 *
 * Each job's targets are measured in interleaved rounds (round r starts at target r mod n), so a
 * burst of machine noise hits every row of a group alike. `inproc://` targets get their server
 * started inside this process (inproc cannot cross processes).
 */
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import * as zmq from "zeromq";
import { Channel, Subscriber } from "protozmq";
import {
  Echo, EchoReply, EchoRequest, EVENT_HWM, EventsJob, Figures, gen, Job, JobResult, latencyFigures, MAX_MESSAGE_BYTES,
  now, payload, Publish, sleep, Stream, Target,
} from "./common";
import { grpcBench, Running, startPz, startRaw } from "./servers";

/**
 * Stall watchdog: the run loop calls `beat(what)` before every block of work (a few ms to ~2 s);
 * if none comes for STALL_MS, a call hangs (a lost reply), so we exit with a message that names
 * the job and row, instead of waiting for the orchestrator's timeout. A per-call deadline would
 * do the same but cost a timer per call on both sides, inside the measurement.
 */
const STALL_MS = 20_000;
let doing = "starting";
let lastBeat = now();
function beat(what: string): void {
  doing = what;
  lastBeat = now();
}

/** One connection to one target, able to run every kind of job. */
interface Driver {
  /** One sequential round trip. */
  echo(): Promise<void>;
  /** Sets the payload of the following `echo` calls. */
  setSize(size: number): void;
  /** Calls completed per second with `depth` calls in flight for `seconds`. */
  throughput(depth: number, seconds: number): Promise<number>;
  /** Messages per second of one server-streaming call. */
  stream(count: number, size: number): Promise<number>;
  /** published/s (server side) and received/s of `count` events. */
  events(job: EventsJob, target: Target, round: number): Promise<Figures>;
  close(): Promise<void>;
}

/** Runs `call` on `depth` concurrent loops until `seconds` pass; calls/s. */
async function loops(call: () => Promise<unknown>, depth: number, seconds: number): Promise<number> {
  let done = 0;
  const t0 = now();
  const end = t0 + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (now() < end) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: depth }, loop));
  return done / ((now() - t0) / 1000);
}

/** Counts events until `count` arrived or none came for 1 s; received/s from the first to the last. */
async function receiveEvents(next: () => Promise<unknown>, close: () => void, count: number): Promise<{ n: number; rate: number }> {
  let n = 0;
  let first = 0;
  let last = now();
  const watchdog = setInterval(() => {
    if (now() - last > 1000) close();
  }, 100);
  try {
    while (n < count) {
      await next();
      last = now();
      if (n === 0) first = last;
      n++;
    }
  } catch {
    // closed by the watchdog: some events were lost
  } finally {
    clearInterval(watchdog);
  }
  return { n, rate: n > 1 ? (n - 1) / ((last - first) / 1000) : 0 };
}

async function pzDriver(endpoint: string): Promise<Driver> {
  const ch = await Channel.connect(endpoint, { maxMessageBytes: MAX_MESSAGE_BYTES, connectTimeoutMs: 5000 });
  let req: EchoRequest = { payload: payload(64) };
  return {
    setSize: (size) => (req = { payload: payload(size) }),
    echo: async () => {
      await ch.unary(Echo, req);
    },
    throughput: (depth, seconds) => loops(() => ch.unary(Echo, req), depth, seconds),
    stream: async (count, size) => {
      const t0 = now();
      let n = 0;
      for await (const _ of ch.serverStream(Stream, { count, size })) n++;
      if (n !== count) throw new Error(`stream: ${n} of ${count} messages`);
      return n / ((now() - t0) / 1000);
    },
    events: async (job, target, round) => {
      const topic = `protozmq.bench.Events/Tick/${round}`;
      const sub = new Subscriber({ receiveHighWaterMark: EVENT_HWM });
      sub.connect(target.events!);
      sub.subscribe(topic);
      await sleep(200);
      const reply = ch.unary(Publish, { count: job.count, size: job.size, topic, batch: target.batch ?? 1 }, { timeoutMs: 60_000 });
      const got = await receiveEvents(() => sub.receive(), () => sub.close(), job.count);
      sub.close();
      const { seconds } = await reply;
      return { published: job.count / seconds, received: got.rate, lost: job.count - got.n };
    },
    close: () => ch.close(),
  };
}

async function rawDriver(endpoint: string): Promise<Driver> {
  // receiveTimeout: a dead server fails the run instead of hanging it.
  const dealer = new zmq.Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, receiveTimeout: 10_000 });
  dealer.connect(endpoint);
  let frame = Buffer.from(gen.EchoRequest.encode({ payload: payload(64) }));
  return {
    setSize: (size) => (frame = Buffer.from(gen.EchoRequest.encode({ payload: payload(size) }))),
    echo: async () => {
      await dealer.send(frame);
      await dealer.receive();
    },
    // Pipelined: `depth` requests out, then one new request per reply, one message per call.
    throughput: async (depth, seconds) => {
      const t0 = now();
      const end = t0 + seconds * 1000;
      let sent = 0;
      let done = 0;
      for (; sent < depth; sent++) await dealer.send(frame);
      while (done < sent) {
        await dealer.receive();
        done++;
        if (now() < end) {
          await dealer.send(frame);
          sent++;
        }
      }
      return done / ((now() - t0) / 1000);
    },
    stream: async (count, size) => {
      const t0 = now();
      await dealer.send(["stream", String(count), String(size)]);
      let n = 0;
      for (;;) {
        const [body] = await dealer.receive();
        if (body!.length === 0) break;
        n++;
      }
      if (n !== count) throw new Error(`raw stream: ${n} of ${count} messages`);
      return n / ((now() - t0) / 1000);
    },
    events: async (job, target, round) => {
      const topic = `protozmq.bench.Events/Tick/${round}`;
      const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: EVENT_HWM });
      sub.connect(target.events!);
      sub.subscribe(topic);
      await sleep(200);
      const reply = dealer.send(["publish", String(job.count), String(job.size), topic]).then(() => dealer.receive());
      const got = await receiveEvents(() => sub.receive(), () => sub.close(), job.count);
      sub.close();
      const seconds = Number((await reply)[0]!.toString());
      return { published: job.count / seconds, received: got.rate, lost: job.count - got.n };
    },
    close: async () => dealer.close(),
  };
}

async function grpcDriver(address: string): Promise<Driver> {
  const opts = { "grpc.max_receive_message_length": MAX_MESSAGE_BYTES, "grpc.max_send_message_length": MAX_MESSAGE_BYTES };
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), opts);
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())));
  const e = grpcBench.Echo;
  let req: EchoRequest = { payload: payload(64) };
  const call = (): Promise<EchoReply> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(e.path, e.requestSerialize, e.responseDeserialize, req, (err, r) => (err ? reject(err) : resolve(r!))),
    );
  return {
    setSize: (size) => (req = { payload: payload(size) }),
    echo: async () => {
      await call();
    },
    throughput: (depth, seconds) => loops(call, depth, seconds),
    stream: (count, size) =>
      new Promise((resolve, reject) => {
        const s = grpcBench.Stream;
        const t0 = now();
        let n = 0;
        const stream = client.makeServerStreamRequest(s.path, s.requestSerialize, s.responseDeserialize, { count, size });
        stream.on("data", () => n++);
        stream.on("error", reject);
        stream.on("end", () => (n === count ? resolve(n / ((now() - t0) / 1000)) : reject(new Error(`grpc stream: ${n} of ${count}`))));
      }),
    events: () => Promise.reject(new Error("gRPC has no events")),
    close: async () => client.close(),
  };
}

async function runJob(job: Job, driverOf: (t: Target) => Promise<Driver>): Promise<JobResult> {
  const runs: Record<string, Figures[]> = {};
  const drivers: Driver[] = [];
  for (const t of job.targets) {
    beat(`${job.group}: connecting to ${t.id}`);
    const d = await driverOf(t);
    d.setSize(job.size);
    drivers.push(d);
  }
  // Warm up every target first (JIT, connections, buffers).
  for (const [i, d] of drivers.entries()) {
    beat(`${job.group}: warming up ${job.targets[i]!.id}`);
    if (job.kind === "latency") {
      const until = now() + job.warmupMs;
      for (let i = 0; i < job.warmup || now() < until; i++) await d.echo();
    }
    else if (job.kind === "bulk") for (let i = 0; i < 3; i++) await d.echo();
    else if (job.kind === "throughput") await d.throughput(Math.max(...job.depths), job.seconds / 2);
    else if (job.kind === "stream") await d.stream(Math.ceil(job.count / 4), job.size);
  }
  const n = job.targets.length;
  const put = (key: string, f: Figures): void => {
    (runs[key] ??= []).push(f);
  };
  for (let r = 0; r < job.rounds; r++) {
    if (job.kind === "latency" || job.kind === "bulk") {
      // Sequential calls go in blocks of `block`, cycling through the targets, so that every
      // target's round spans the same stretch of time (this VM's round trips can triple for seconds).
      const us = drivers.map(() => new Float64Array(job.calls));
      const busy = drivers.map(() => 0);
      for (let done = 0; done < job.calls; done += job.block) {
        const m = Math.min(job.block, job.calls - done);
        for (let k = 0; k < n; k++) {
          const i = (r + k) % n;
          const d = drivers[i]!;
          const samples = us[i]!;
          beat(`${job.group}: ${job.targets[i]!.id}`);
          const t1 = now();
          for (let c = done; c < done + m; c++) {
            const t0 = now();
            await d.echo();
            samples[c] = (now() - t0) * 1000;
          }
          busy[i]! += now() - t1;
        }
      }
      job.targets.forEach((t, i) => {
        if (job.kind === "latency") put(t.id, latencyFigures(us[i]!));
        else put(t.id, { mbps: (job.calls * job.size) / 1e6 / (busy[i]! / 1000) });
      });
      continue;
    }
    if (job.kind === "throughput") {
      // Depth-major: the rows' runs at one depth follow each other, within about a second.
      for (const depth of job.depths) {
        for (let k = 0; k < n; k++) {
          const i = (r + k) % n;
          beat(`${job.group}: ${job.targets[i]!.id} at N=${depth}`);
          put(`${job.targets[i]!.id}@${depth}`, { cps: await drivers[i]!.throughput(depth, job.seconds) });
        }
      }
      continue;
    }
    for (let k = 0; k < n; k++) {
      const i = (r + k) % n;
      const t = job.targets[i]!;
      const d = drivers[i]!;
      beat(`${job.group}: ${t.id}`);
      switch (job.kind) {
        case "stream":
          put(t.id, { mps: await d.stream(job.count, job.size) });
          break;
        case "events":
          put(t.id, await d.events(job, t, r));
          break;
      }
    }
  }
  return { group: job.group, kind: job.kind, size: job.size, runs };
}

async function main(): Promise<void> {
  const [planFile, outFile] = process.argv.slice(2);
  // The orchestrator keeps our stdin open; EOF means it is gone, and so should we be.
  process.stdin.on("end", () => process.exit(2));
  process.stdin.resume();
  setInterval(() => {
    if (now() - lastBeat < STALL_MS) return;
    process.stderr.write(`ts client: no progress for ${STALL_MS / 1000} s in "${doing}" (a call never returned)\n`);
    process.exit(3);
  }, 1000).unref();
  const plan = JSON.parse(fs.readFileSync(planFile!, "utf8")) as { jobs: Job[] };
  const inproc: Running[] = [];
  const started = new Set<string>();
  const drivers = new Map<string, Driver>();
  const driverOf = async (t: Target): Promise<Driver> => {
    const key = `${t.impl} ${t.endpoint}`;
    let d = drivers.get(key);
    if (d === undefined) {
      if (t.endpoint.startsWith("inproc://") && !started.has(t.endpoint)) {
        started.add(t.endpoint);
        inproc.push(await (t.impl === "pz" ? startPz : startRaw)([t.endpoint], []));
      }
      d = await (t.impl === "pz" ? pzDriver : t.impl === "raw" ? rawDriver : grpcDriver)(t.endpoint);
      drivers.set(key, d);
    }
    return d;
  };
  const results: JobResult[] = [];
  for (const job of plan.jobs) {
    const t0 = now();
    results.push(await runJob(job, driverOf));
    process.stderr.write(`  ts client: ${job.kind} ${job.group} (${((now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  fs.writeFileSync(outFile!, JSON.stringify(results));
  for (const d of drivers.values()) await d.close();
  for (const s of inproc) await s.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
