/** Metadata, Status and RpcError: the value types of the call API (no sockets). */
import { isRpcError, RpcError } from "../../../runtime/ts/src/errors";
import { isValidMetadataKey, Metadata } from "../../../runtime/ts/src/metadata";
import { Status, statusFromCode, statusName } from "../../../runtime/ts/src/status";

describe("Metadata", () => {
  it("is an ordered multi-map with lower-case keys", () => {
    const md = new Metadata({ "X-User": "ada", tags: ["a", "b"] });
    md.add("x-tag", "1").add("X-TAG", "2");
    expect([...md]).toEqual([
      ["x-user", "ada"],
      ["tags", "a"],
      ["tags", "b"],
      ["x-tag", "1"],
      ["x-tag", "2"],
    ]);
    expect(md.get("X-Tag")).toBe("1");
    expect(md.getAll("x-tag")).toEqual(["1", "2"]);
    expect(md.keys()).toEqual(["x-user", "tags", "x-tag"]);
    md.set("tags", "c");
    expect(md.getAll("tags")).toEqual(["c"]);
    expect([...md.entries()][1]).toEqual(["tags", "c"]); // set keeps the first position
    expect(md.delete("x-tag")).toBe(true);
    expect(md.has("x-tag")).toBe(false);
    expect(md.size).toBe(2);
  });

  it("takes bytes for -bin keys and strings for the others", () => {
    const md = new Metadata();
    md.add("trace-bin", new Uint8Array([1, 2]));
    expect(() => md.add("trace-bin", "text")).toThrow(TypeError);
    expect(() => md.add("trace", new Uint8Array([1]))).toThrow(TypeError);
    expect(md.toJSON()).toEqual({ "trace-bin": [1, 2] });
    const copy = md.clone();
    (copy.get("trace-bin") as Uint8Array)[0] = 9;
    expect(md.get("trace-bin")).toEqual(new Uint8Array([1, 2]));
  });

  it("validates keys", () => {
    expect(isValidMetadataKey("a-b_c.d9")).toBe(true);
    for (const bad of ["", "sp ace", "ü", "k".repeat(256), "a:b"]) expect(() => new Metadata().add(bad, "v")).toThrow(TypeError);
    expect(() => new Metadata().add("pzmq-internal", "v")).toThrow(/reserved/);
    expect(() => new Metadata().add("k".repeat(255), "v")).not.toThrow();
  });
});

describe("Status", () => {
  it("has the 17 gRPC codes with their numbers", () => {
    expect(Status.OK).toBe(0);
    expect(Status.DEADLINE_EXCEEDED).toBe(4);
    expect(Status.UNIMPLEMENTED).toBe(12);
    expect(Status.UNAUTHENTICATED).toBe(16);
    expect(Object.values(Status).filter((v) => typeof v === "number")).toHaveLength(17);
    expect(statusName(Status.NOT_FOUND)).toBe("NOT_FOUND");
  });

  it("reads unknown codes as UNKNOWN", () => {
    expect(statusFromCode(14)).toBe(Status.UNAVAILABLE);
    expect(statusFromCode(17)).toBe(Status.UNKNOWN);
    expect(statusFromCode(65535)).toBe(Status.UNKNOWN);
  });
});

describe("RpcError", () => {
  it("keeps the message exactly and carries details and trailers", () => {
    const e = new RpcError(Status.NOT_FOUND, " 🦄 no unit\n", { details: new Uint8Array([1]), metadata: { "x-a": "b" } });
    expect(e.message).toBe(" 🦄 no unit\n");
    expect(e.details).toEqual(new Uint8Array([1]));
    expect(e.metadata.get("x-a")).toBe("b");
    expect(String(e)).toBe("RpcError: NOT_FOUND:  🦄 no unit\n");
    expect(isRpcError(e, Status.NOT_FOUND)).toBe(true);
    expect(isRpcError(e, Status.INTERNAL)).toBe(false);
    expect(isRpcError(new Error("x"))).toBe(false);
    expect(new RpcError(Status.INTERNAL, "x").details).toBeUndefined();
  });
});
