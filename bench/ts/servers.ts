/**
 * The TypeScript bench servers, one per implementation, each serving the same three operations:
 *
 * | operation | protozmq (`Server`)          | raw zeromq.js (ROUTER)                      | grpc-js          |
 * |-----------|------------------------------|---------------------------------------------|------------------|
 * | echo      | `Bench/Echo` unary           | 1 frame: sent back as is                    | `Bench/Echo`     |
 * | stream    | `Bench/Stream`, async gen.   | `["stream", count, size]` → count frames, `""` | `Bench/Stream` |
 * | publish   | `Bench/Publish` + `Publisher`| `["publish", count, size, topic]` + PUB     | (none)           |
 *
 * The raw echo carries the same serialized `EchoRequest` bytes the protozmq client sends as its
 * payload frame, but no PZMQ/1 header and no (de)serialization: it is the floor.
 */
import * as grpc from "@grpc/grpc-js";
import * as zmq from "zeromq";
import { Publisher, Server } from "protozmq";
import {
  Echo, EchoReply, EchoRequest, EVENT_HWM, gen, MAX_MESSAGE_BYTES, now, payload, Publish, PublishReply, PublishRequest,
  Stream, StreamRequest,
} from "./common";

/** A running server: its resolved endpoints (`rpc`, and `events` when it publishes) and how to stop it. */
export interface Running {
  rpc: string[];
  events: string[];
  close(): Promise<void>;
}

/** protozmq `Server` on `endpoints`, with a `Publisher` on `eventEndpoints`. */
export async function startPz(endpoints: string[], eventEndpoints: string[]): Promise<Running> {
  const server = new Server({ maxMessageBytes: MAX_MESSAGE_BYTES });
  const pub = new Publisher({ sendHighWaterMark: EVENT_HWM });
  server.addMethod(Echo, (req: EchoRequest): EchoReply => ({ payload: req.payload }));
  server.addMethod(Stream, async function* (req: StreamRequest): AsyncIterable<EchoReply> {
    const reply: EchoReply = { payload: payload(req.size) };
    for (let i = 0; i < req.count; i++) yield reply;
  });
  server.addMethod(Publish, async (req: PublishRequest): Promise<PublishReply> => {
    await pub.waitForSubscriber(req.topic, 2000);
    pub.batch = Math.max(1, req.batch);
    const bytes = gen.EchoReply.encode({ payload: payload(req.size) });
    const t0 = now();
    for (let i = 0; i < req.count; i++) pub.publish(req.topic, bytes);
    await pub.flush();
    return { seconds: (now() - t0) / 1000 };
  });
  for (const ep of endpoints) await server.bind(ep);
  for (const ep of eventEndpoints) await pub.bind(ep);
  return {
    rpc: [...server.endpoints],
    events: [...pub.endpoints],
    close: async () => {
      await pub.close();
      await server.close({ drainTimeoutMs: 100 });
    },
  };
}

/** The raw zeromq.js ROUTER echo (and stream/publish commands), with a PUB on `eventEndpoints`. */
export async function startRaw(endpoints: string[], eventEndpoints: string[]): Promise<Running> {
  const router = new zmq.Router({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
  const pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: EVENT_HWM });
  const rpc: string[] = [];
  const events: string[] = [];
  for (const ep of endpoints) {
    await router.bind(ep);
    rpc.push(router.lastEndpoint ?? ep);
  }
  for (const ep of eventEndpoints) {
    await pub.bind(ep);
    events.push(pub.lastEndpoint ?? ep);
  }
  const loop = (async () => {
    try {
      for await (const frames of router) {
        if (frames.length === 2) {
          await router.send(frames); // [routing id, payload]: the echo
          continue;
        }
        const [id, cmd] = frames as [Buffer, Buffer];
        const count = Number(frames[2]!.toString());
        const size = Number(frames[3]!.toString());
        if (cmd.toString() === "stream") {
          const body = Buffer.from(gen.EchoReply.encode({ payload: payload(size) }));
          for (let i = 0; i < count; i++) await router.send([id, body]);
          await router.send([id, Buffer.alloc(0)]);
        } else if (cmd.toString() === "publish") {
          const topic = frames[4]!;
          const body = Buffer.from(gen.EchoReply.encode({ payload: payload(size) }));
          const t0 = now();
          for (let i = 0; i < count; i++) await pub.send([topic, body]);
          await router.send([id, Buffer.from(String((now() - t0) / 1000))]);
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    rpc,
    events,
    close: async () => {
      router.close();
      pub.close();
      await loop;
    },
  };
}

/** The grpc-js service definition of `Bench`, with the generated protozmq codecs as (de)serializers. */
export const grpcBench = {
  Echo: {
    path: "/protozmq.bench.Bench/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: EchoRequest) => Buffer.from(gen.EchoRequest.encode(m)),
    requestDeserialize: (b: Buffer) => gen.EchoRequest.decode(b),
    responseSerialize: (m: EchoReply) => Buffer.from(gen.EchoReply.encode(m)),
    responseDeserialize: (b: Buffer) => gen.EchoReply.decode(b),
  },
  Stream: {
    path: "/protozmq.bench.Bench/Stream",
    requestStream: false,
    responseStream: true,
    requestSerialize: (m: StreamRequest) => Buffer.from(gen.StreamRequest.encode(m)),
    requestDeserialize: (b: Buffer) => gen.StreamRequest.decode(b),
    responseSerialize: (m: EchoReply) => Buffer.from(gen.EchoReply.encode(m)),
    responseDeserialize: (b: Buffer) => gen.EchoReply.decode(b),
  },
} satisfies grpc.ServiceDefinition;

/** grpc-js on `addresses` (`unix:/path`, `127.0.0.1:0`); resolved addresses in `rpc`. */
export async function startGrpc(addresses: string[]): Promise<Running> {
  const opts = { "grpc.max_receive_message_length": MAX_MESSAGE_BYTES, "grpc.max_send_message_length": MAX_MESSAGE_BYTES };
  const server = new grpc.Server(opts);
  server.addService(grpcBench, {
    Echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => cb(null, { payload: call.request.payload }),
    Stream: (call: grpc.ServerWritableStream<StreamRequest, EchoReply>) => {
      const reply: EchoReply = { payload: payload(call.request.size) };
      let i = 0;
      const write = (): void => {
        while (i < call.request.count) {
          i++;
          if (!call.write(reply)) {
            call.once("drain", write);
            return;
          }
        }
        call.end();
      };
      write();
    },
  });
  const rpc: string[] = [];
  for (const addr of addresses) {
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    rpc.push(addr.startsWith("unix:") ? addr : addr.replace(/:0$/, `:${port}`));
  }
  return {
    rpc,
    events: [],
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
