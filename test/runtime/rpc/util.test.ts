/** runtime/ts/src/util.ts: the internal helpers of the client and server cores. */
import { afterThisTask, decodeAt, encodeToSend, tooLarge, truncate } from "../../../runtime/ts/src/util";
import { INLINE_MAX_BYTES } from "../../../runtime/ts/src/protocol";
import { decodeMessageAt } from "../../../runtime/ts/src/codec/message-type";
import { DecodeError, RpcError, Status } from "protozmq";
import { EvaluateRequest } from "../../../generated/ts/game/analysis";

it("afterThisTask runs callbacks after the current code, in order, before timers and I/O", async () => {
  const seen: string[] = [];
  setImmediate(() => seen.push("immediate"));
  afterThisTask(() => seen.push("a"));
  afterThisTask(() => seen.push("b"));
  seen.push("sync");
  await Promise.resolve();
  expect(seen).toEqual(["sync", "a", "b"]);
  await new Promise((r) => setImmediate(r));
  expect(seen).toEqual(["sync", "a", "b", "immediate"]);
});

it("tooLarge is RESOURCE_EXHAUSTED naming the size and the limit", () => {
  const e = tooLarge("request", 10, 4);
  expect(e).toBeInstanceOf(RpcError);
  expect(e.code).toBe(Status.RESOURCE_EXHAUSTED);
  expect(e.message).toBe("request message of 10 bytes exceeds the limit of 4 bytes");
});

describe("decodeAt: a message that fills a frame from an offset (an inline packet's)", () => {
  const req: EvaluateRequest = EvaluateRequest.create({ playerId: "p1", state: { tick: 42n } });
  const body = Buffer.from([1, 2, 3, 4, 5, 6, 7]); // stands for the packet's header
  const frame = Buffer.concat([body, Buffer.from(EvaluateRequest.encode(req))]);

  it("decodes a generated message type in place, equal to decoding a view", () => {
    expect(decodeAt(EvaluateRequest, frame, body.length)).toEqual(EvaluateRequest.decode(frame.subarray(body.length)));
    expect(decodeMessageAt(EvaluateRequest, frame, body.length)).toEqual(req);
  });

  it("hands any other codec a view that starts at the offset", () => {
    const seen: Uint8Array[] = [];
    const codec = { encode: (b: Uint8Array) => b, decode: (b: Uint8Array) => (seen.push(b), b.length) };
    expect(decodeAt(codec, frame, body.length)).toBe(frame.length - body.length);
    expect(Buffer.from(seen[0]!)).toEqual(frame.subarray(body.length));
    expect(decodeAt(codec, frame, 0)).toBe(frame.length);
  });

  it("fails a truncated message with the DecodeError naming the type, as decode does", () => {
    const cut = frame.subarray(0, frame.length - 2);
    expect(() => decodeAt(EvaluateRequest, cut, body.length)).toThrow(DecodeError);
    expect(() => decodeAt(EvaluateRequest, cut, body.length)).toThrow(/EvaluateRequest/);
  });
});

describe("encodeToSend: a message about to be copied into a packet's frame", () => {
  const small: EvaluateRequest = EvaluateRequest.create({ playerId: "p1" });

  it("lends a generated type's small encoding as a view of the shared writer, valid until the next encode", () => {
    const view = encodeToSend(EvaluateRequest, small);
    expect(Buffer.from(view)).toEqual(Buffer.from(EvaluateRequest.encode(small)));
    const copy = Buffer.from(view); // what the runtime does at once
    encodeToSend(EvaluateRequest, EvaluateRequest.create({ playerId: "someone else entirely" }));
    expect(Buffer.from(view)).not.toEqual(copy); // the next encode reused the memory
  });

  it("returns an owned result above INLINE_MAX_BYTES (such a message is its own frame) and for other codecs", () => {
    const big = EvaluateRequest.create({ playerId: "x".repeat(INLINE_MAX_BYTES + 10) });
    const owned = encodeToSend(EvaluateRequest, big);
    const copy = Buffer.from(owned);
    encodeToSend(EvaluateRequest, small);
    expect(Buffer.from(owned)).toEqual(copy);
    const codec = { encode: (s: string) => Buffer.from(s), decode: (b: Uint8Array) => Buffer.from(b).toString() };
    expect(Buffer.from(encodeToSend(codec as never, "plain"))).toEqual(Buffer.from("plain"));
  });
});

it("truncate shortens an array in place, keeping what comes first", () => {
  const a = [1, 2, 3, 4];
  truncate(a, 1);
  expect(a).toEqual([1]);
  truncate(a, 3); // never lengthens
  expect(a).toEqual([1]);
  truncate(a, 0);
  expect(a).toEqual([]);
});
