import { compareTargets } from "../../bench/compare";
import type { TargetStatus } from "../../bench/lib/report";

const p50 = "unary p50 ≤ 1.15× raw zeromq.js echo (TS→TS)";

describe("bench:compare", () => {
  const before: TargetStatus[] = [
    { target: p50, mode: "pinned", checks: [{ what: "ipc 64 B", value: 1.3, met: false }, { what: "tcp 64 B", value: 1.2, met: false }] },
    { target: p50, mode: "unpinned", checks: [{ what: "ipc 64 B", value: 1.4, met: false }] },
    { target: "codec ≥ 1.0× protobufjs static", mode: "-", checks: [{ what: "encode", value: 2.5, met: true }] },
  ];
  const after: TargetStatus[] = [
    { target: p50, mode: "pinned", checks: [{ what: "ipc 64 B", value: 1.1, met: true }, { what: "inproc 64 B", value: 1.5, met: false }] },
    { target: "codec ≥ 1.0× protobufjs static", mode: "-", checks: [{ what: "encode", value: 3, met: true }] },
  ];

  it("pairs each case by target, mode and case; a case in one run only shows a dash on the other side", () => {
    expect(compareTargets(before, after)).toEqual([
      [p50, "pinned", "ipc 64 B", "✗ 1.30×", "✓ 1.10×"],
      [p50, "pinned", "inproc 64 B", "—", "✗ 1.50×"],
      ["codec ≥ 1.0× protobufjs static", "-", "encode", "✓ 2.50×", "✓ 3.00×"],
      [p50, "pinned", "tcp 64 B", "✗ 1.20×", "—"],
      [p50, "unpinned", "ipc 64 B", "✗ 1.40×", "—"],
    ]);
  });

  it("keeps one mode (and the mode-less codec targets) when asked", () => {
    const rows = compareTargets(before, after, "unpinned");
    expect(rows).toEqual([
      ["codec ≥ 1.0× protobufjs static", "-", "encode", "✓ 2.50×", "✓ 3.00×"],
      [p50, "unpinned", "ipc 64 B", "✗ 1.40×", "—"],
    ]);
  });
});
