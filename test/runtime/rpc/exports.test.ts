/** The package entry point ("protozmq", runtime/ts/src/index.ts) exposes the RPC runtime. */
import * as pz from "protozmq";

it("exports the RPC runtime from the package entry point", () => {
  for (const name of ["Channel", "Server", "Publisher", "Subscriber", "Metadata", "RpcError", "Status", "Kind", "Flag", "encodeHeader", "decodeHeader", "MessageStream"]) {
    expect(pz).toHaveProperty(name);
  }
  expect(pz.Status.UNAVAILABLE).toBe(14);
  expect(pz.PROTOCOL_VERSION).toBe(1);
});
