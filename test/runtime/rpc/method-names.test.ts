/**
 * decodeHeader's cache of method names (runtime/ts/src/protocol.ts): a server decodes the same few
 * names on every REQUEST, so they are kept, and each hit is checked byte for byte. Names that share
 * a cache slot (same length, same first, middle and last bytes) must never be confused.
 *
 * ```
 * REQUEST header: ... u16 len, "pkg.Service/Method" ──▶ decodeHeader ──▶ h.method (cached string)
 * ```
 */
import { Flag } from "../../../runtime/ts/src/protocol";
import { encodeRequest, methodBytes } from "../../../runtime/ts/src/packet-encode";
import { decodeHeader } from "../../../runtime/ts/src/packet-decode";

function roundTrip(name: string | Buffer): string {
  const bytes = typeof name === "string" ? methodBytes(name) : name;
  return decodeHeader(encodeRequest(7, Flag.HAS_MESSAGE | Flag.END, 0, bytes)).method;
}

describe("method names decoded from REQUEST headers", () => {
  it("names that fall into the same cache slot stay distinct, in any order and repeatedly", () => {
    // Same length, same first, middle and last characters: only the other bytes differ.
    const names = ["a.S/Mxxxxxxxz", "a.S/Myxxxxxxz", "a.S/Mxxxxxyxz", "a.S/Mxyxxxxxz", "b.T/Q", "b.T/R", "", "ü.Ö/ß"];
    for (let round = 0; round < 5; round++) {
      for (const n of round % 2 === 0 ? names : [...names].reverse()) expect(roundTrip(n)).toBe(n);
    }
  });

  it("many distinct names (more than the cache holds) all decode right", () => {
    const names = Array.from({ length: 500 }, (_, i) => `pkg.Service${i % 7}/Method${i}`);
    for (let round = 0; round < 3; round++) for (const n of names) expect(roundTrip(n)).toBe(n);
  });

  it("invalid UTF-8 decodes exactly as Buffer#toString does, hit or miss", () => {
    const raw = Buffer.from([0x61, 0xff, 0x2f, 0xc3, 0x62]);
    const want = raw.toString("utf8");
    expect(roundTrip(raw)).toBe(want);
    expect(roundTrip(raw)).toBe(want);
    // A valid name of the same length and slot right after does not get the invalid one's string.
    const other = Buffer.from([0x61, 0x41, 0x2f, 0x42, 0x62]);
    expect(roundTrip(other)).toBe(other.toString("utf8"));
  });
});
