/**
 * What the TypeScript bench programs share: the generated bench codecs, the method descriptors
 * built from them, the job plan format (the orchestrator writes it, the TS and Python clients
 * read it), and small helpers.
 *
 * The generated code lives in the git-ignored `bench/.gen/` (written by `bench/lib/prepare.ts`),
 * so it is loaded with `require` and typed here: `npm run typecheck` passes on a fresh clone.
 */
import * as path from "path";
import type { MessageType, MethodDescriptor } from "protozmq";
import { GEN, ROOT } from "../lib/paths";

export { GEN, ROOT };

export interface EchoRequest {
  payload: Uint8Array;
}
export interface EchoReply {
  payload: Uint8Array;
}
export interface StreamRequest {
  count: number;
  size: number;
}
export interface PublishRequest {
  count: number;
  size: number;
  topic: string;
  batch: number;
}
export interface PublishReply {
  seconds: number;
}

interface BenchModule {
  EchoRequest: MessageType<EchoRequest>;
  EchoReply: MessageType<EchoReply>;
  StreamRequest: MessageType<StreamRequest>;
  PublishRequest: MessageType<PublishRequest>;
  PublishReply: MessageType<PublishReply>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const gen = require(path.join(GEN, "ts", "bench.ts")) as BenchModule;

/** The method descriptors: the runtime's generic API with the generated codecs (no generated client). */
export const Echo: MethodDescriptor<EchoRequest, EchoReply> & { readonly kind: "unary" } = {
  path: "protozmq.bench.Bench/Echo",
  kind: "unary",
  requestType: gen.EchoRequest,
  responseType: gen.EchoReply,
};
export const Stream: MethodDescriptor<StreamRequest, EchoReply> & { readonly kind: "server_streaming" } = {
  path: "protozmq.bench.Bench/Stream",
  kind: "server_streaming",
  requestType: gen.StreamRequest,
  responseType: gen.EchoReply,
};
export const Publish: MethodDescriptor<PublishRequest, PublishReply> & { readonly kind: "unary" } = {
  path: "protozmq.bench.Bench/Publish",
  kind: "unary",
  requestType: gen.PublishRequest,
  responseType: gen.PublishReply,
};

/** Largest message any bench server or client accepts (the bulk payload is 1 MiB). */
export const MAX_MESSAGE_BYTES = 8 << 20;
/** ZeroMQ high-water mark of the event sockets: high enough that no event of a run is dropped. */
export const EVENT_HWM = 1_000_000;

// ---- the plan: written by bench/run.ts, read by bench/ts/client.ts and bench/python/client.py

/** `pz`: protozmq; `raw`: a bare ZeroMQ DEALER/ROUTER (and PUB/SUB) echo; `grpc`: grpc-js or grpcio. */
export type Impl = "pz" | "raw" | "grpc";

/** One server endpoint a job measures. */
export interface Target {
  /** Row name, e.g. `"protozmq TS→Py"`. */
  id: string;
  impl: Impl;
  /** ZeroMQ endpoint, or a gRPC address (`unix:/path`, `127.0.0.1:port`). */
  endpoint: string;
  /** The server's event (PUB) endpoint, for events jobs. */
  events?: string;
  /** Python client only: `"async"` makes sequential protozmq calls through `AsyncChannel`. */
  variant?: string;
  /** Events jobs: the protozmq publisher's `batch` (most events per message); default 1. */
  batch?: number;
  // Report-only fields (the clients ignore them):
  /** Transport shown in the table (`ipc`, `tcp`, `inproc`, `unix`). */
  transport: string;
  /** Id of the row this one is divided by, in the same job. */
  baseline?: string;
  /** Id of the gRPC row this one is also compared with, in the same job. */
  grpc?: string;
}

interface JobBase {
  /** Rows measured together: their runs are interleaved, so machine noise hits all alike. */
  group: string;
  /** The client's language: `"TS"` or `"Py"` (report only). */
  client: string;
  /** Payload bytes. */
  size: number;
  /** Repetitions; each reports one figure per target. */
  rounds: number;
  targets: Target[];
}

/** Sequential unary calls: per-run p50, p99, p999 of the round-trip times. */
export interface LatencyJob extends JobBase {
  kind: "latency";
  /** Calls per target per round. */
  calls: number;
  /** Calls in a row before the next target's turn (the round is interleaved at this grain). */
  block: number;
  /** Untimed calls per target before the rounds: at least `warmup` of them, for at least `warmupMs`. */
  warmup: number;
  warmupMs: number;
}

/** Calls kept in flight for a fixed time: calls/s at each depth. */
export interface ThroughputJob extends JobBase {
  kind: "throughput";
  depths: number[];
  seconds: number;
}

/** One server-streaming call of `count` messages: messages/s. */
export interface StreamJob extends JobBase {
  kind: "stream";
  count: number;
}

/** `count` events published by the server to this subscriber: published/s and received/s. */
export interface EventsJob extends JobBase {
  kind: "events";
  count: number;
}

/** Sequential unary calls with a large payload: MB/s (payload bytes one way, 10^6 bytes per MB). */
export interface BulkJob extends JobBase {
  kind: "bulk";
  calls: number;
  block: number;
}

export type Job = LatencyJob | ThroughputJob | StreamJob | EventsJob | BulkJob;

/** One target's figures in one round (names depend on the job kind). */
export type Figures = Record<string, number>;

/** What a client prints: per job, per target, one `Figures` per round (per depth for throughput). */
export interface JobResult {
  group: string;
  kind: Job["kind"];
  size: number;
  /** `runs[targetId][round]`; throughput jobs key the target id as `"<id>@<depth>"`. */
  runs: Record<string, Figures[]>;
}

// ---- helpers

/** Nanoseconds → microseconds of a sorted sample: the q-quantile (nearest rank). */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** p50, p99, p999 and mean of round-trip times given in microseconds. */
export function latencyFigures(us: Float64Array): Figures {
  const s = Float64Array.from(us).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), p999: quantile(s, 0.999), mean: sum / s.length };
}

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A payload of `size` bytes, not all zero (so nothing can compress or special-case it). */
export function payload(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}
