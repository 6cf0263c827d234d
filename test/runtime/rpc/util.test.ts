/** runtime/ts/src/util.ts: the internal helpers of the client and server cores. */
import { afterThisTask, tooLarge } from "../../../runtime/ts/src/util";
import { RpcError, Status } from "protozmq";

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
