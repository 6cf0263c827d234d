/**
 * The open calls of a channel, by call id. Internal: nothing here is exported from the package.
 *
 * A `Map` that gains and loses one entry per call reallocates its hash table every few calls (V8
 * shrinks it when it empties and grows it again): ~40 ns and ~150 bytes of garbage per call, the
 * latter showing in the tail latency as more frequent scavenges. Call ids are handed out in
 * sequence, so the open calls' ids are nearly always within a short window: this table is an
 * array indexed by the id's low bits, which allocates nothing in the steady state. Two open calls
 * whose ids share their low bits (one call open while `capacity` newer ones were started) grow
 * the array, up to {@link MAX_SLOTS}; beyond that the newer call goes to a `Map` on the side.
 *
 * @example
 * ```ts
 * const calls = new CallTable<ClientCall>();
 * calls.add(call);
 * calls.get(7)?.resolve!(reply);
 * calls.delete(7);
 * ```
 */
const MIN_SLOTS = 64;
/** The array stops growing here (32 KiB of slots); rarer collisions go to the overflow map. */
const MAX_SLOTS = 4096;

export class CallTable<T extends { readonly id: number }> {
  /** Number of calls in the table. */
  size = 0;
  private slots: Array<T | undefined> = new Array<T | undefined>(MIN_SLOTS).fill(undefined);
  private mask = MIN_SLOTS - 1;
  private overflow: Map<number, T> | undefined = undefined;

  get(id: number): T | undefined {
    const c = this.slots[id & this.mask];
    if (c !== undefined && c.id === id) return c;
    return this.overflow?.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds a call; its id must not be in the table already. */
  add(call: T): void {
    this.size++;
    for (;;) {
      const i = call.id & this.mask;
      if (this.slots[i] === undefined) {
        this.slots[i] = call;
        return;
      }
      if (this.slots.length >= MAX_SLOTS) {
        (this.overflow ??= new Map()).set(call.id, call);
        return;
      }
      this.grow();
    }
  }

  /** Removes the call with this id; false if there is none. */
  delete(id: number): boolean {
    const i = id & this.mask;
    const c = this.slots[i];
    if (c !== undefined && c.id === id) {
      this.slots[i] = undefined;
      this.size--;
      return true;
    }
    if (this.overflow?.delete(id) === true) {
      this.size--;
      return true;
    }
    return false;
  }

  /** The calls in the table, as a new array (safe to change the table while going through it). */
  values(): T[] {
    const out: T[] = [];
    for (const c of this.slots) if (c !== undefined) out.push(c);
    if (this.overflow !== undefined) for (const c of this.overflow.values()) out.push(c);
    return out;
  }

  /** Doubles the array; calls that still share a slot afterwards go to the overflow map. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const c of old) {
      if (c === undefined) continue;
      const i = c.id & this.mask;
      if (this.slots[i] === undefined) this.slots[i] = c;
      else (this.overflow ??= new Map()).set(c.id, c);
    }
  }
}
