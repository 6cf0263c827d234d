/** The package entry point ("protozmq", runtime/ts/src/index.ts) exposes the RPC runtime. */
import * as fs from "fs";
import * as path from "path";
import * as pz from "protozmq";

it("exports the RPC runtime from the package entry point", () => {
  for (const name of ["Channel", "Server", "Publisher", "Subscriber", "Metadata", "RpcError", "Status", "Kind", "Flag", "encodeHeader", "decodeHeader", "MessageStream"]) {
    expect(pz).toHaveProperty(name);
  }
  expect(pz.Status.UNAVAILABLE).toBe(14);
  expect(pz.PROTOCOL_VERSION).toBe(1);
});

describe("the entry point's re-exports", () => {
  const src = path.join(__dirname, "..", "..", "..", "runtime", "ts", "src");
  const index = fs.readFileSync(path.join(src, "index.ts"), "utf8");
  // The codec names are re-exported from their own modules; codec/index.ts says which are public.
  const modules = ["codec/index", ...[...index.matchAll(/} from "\.\/(.+)\.js";/g)].map((m) => m[1]!).filter((m) => !m.startsWith("codec/"))];

  it("names every export: no `export *` (its shared getter is a megamorphic load per use)", () => {
    expect(index).not.toMatch(/^export \*/m);
    expect(modules).toEqual(expect.arrayContaining(["codec/index", "status", "protocol", "channel", "server", "events"]));
  });

  it.each(modules)("includes every value exported by ./%s", (m) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(src, m)) as Record<string, unknown>;
    const missing = Object.keys(mod).filter((k) => k !== "__esModule" && !(k in pz));
    expect(missing).toEqual([]);
    for (const k of Object.keys(mod)) if (k !== "__esModule") expect((pz as Record<string, unknown>)[k]).toBe(mod[k]);
  });
});
