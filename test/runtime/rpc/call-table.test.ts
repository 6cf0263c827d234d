/** runtime/ts/src/call-table.ts: the channel's open calls by id, checked against a Map. */
import { CallTable } from "../../../runtime/ts/src/call-table";

interface Call {
  readonly id: number;
}

/** Runs `ops` on a CallTable and a Map side by side, comparing after each step. */
function mirror(ops: Array<["add" | "delete", number]>): CallTable<Call> {
  const table = new CallTable<Call>();
  const model = new Map<number, Call>();
  for (const [op, id] of ops) {
    if (op === "add") {
      if (model.has(id)) continue;
      const c = { id };
      table.add(c);
      model.set(id, c);
    } else {
      expect(table.delete(id)).toBe(model.delete(id));
    }
    expect(table.size).toBe(model.size);
  }
  for (const [id, c] of model) expect(table.get(id)).toBe(c);
  expect(table.values().map((c) => c.id).sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
  return table;
}

it("finds, counts and removes calls of sequential ids (the usual case: a short window)", () => {
  const ops: Array<["add" | "delete", number]> = [];
  for (let id = 1; id <= 10_000; id++) {
    ops.push(["add", id]);
    if (id > 3) ops.push(["delete", id - 3]); // three calls open at a time
  }
  const t = mirror(ops);
  expect(t.get(10_000)?.id).toBe(10_000);
  expect(t.get(1)).toBeUndefined();
  expect(t.has(9_999)).toBe(true);
});

it("keeps a long-lived call while many newer ones come and go (its slot is shared: the table grows, then overflows)", () => {
  const ops: Array<["add" | "delete", number]> = [["add", 1]];
  for (let id = 2; id <= 20_000; id++) {
    ops.push(["add", id]);
    ops.push(["delete", id]);
    if (id % 4097 === 0) ops.push(["add", id + 100_000]); // more long-lived calls, ids far apart
  }
  const t = mirror(ops);
  expect(t.get(1)?.id).toBe(1);
  expect(t.delete(1)).toBe(true);
  expect(t.get(1)).toBeUndefined();
});

it("handles ids that wrap around u32 and random patterns like a Map does", () => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const ops: Array<["add" | "delete", number]> = [];
  for (let i = 0; i < 20_000; i++) {
    const id = rnd() < 0.5 ? 0xffffffff - Math.floor(rnd() * 300) : 1 + Math.floor(rnd() * 9000);
    ops.push([rnd() < 0.55 ? "add" : "delete", id]);
  }
  mirror(ops);
});

it("deleting an id that is not there (or shares a slot with another) is false and changes nothing", () => {
  const t = new CallTable<Call>();
  t.add({ id: 5 });
  expect(t.delete(5 + 64)).toBe(false);
  expect(t.delete(6)).toBe(false);
  expect(t.size).toBe(1);
  expect(t.get(5)?.id).toBe(5);
});
