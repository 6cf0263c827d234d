/**
 * Deadlines of many calls on one Node timer, for the channel (client deadlines) and the server
 * (handler deadlines). Internal: nothing here is exported from the package.
 *
 * A `setTimeout` per call costs a `Timeout` object, a timer-list insert and removal, and often a
 * libuv timer re-arm, on every call, while nearly every call ends long before its deadline. Here
 * a call with a deadline is linked into the list of its budget (calls with the same budget expire
 * in the order they started, so each list stays sorted by deadline; programs use few distinct
 * budgets), and one timer is armed for the earliest deadline of all lists:
 *
 * ```
 * budget 50 ms:   head ⇄ call ⇄ call ⇄ … ⇄ tail      (sorted: started earlier, expires earlier)
 * budget 500 ms:  head ⇄ call ⇄ …
 * one setTimeout ──▶ earliest head; when it fires, every call due is expired and it is re-armed
 * ```
 *
 * Adding and removing a call are O(1) and touch no timer unless the new call expires before
 * everything armed so far. A call that ends unlinks itself; the armed timer may then fire with
 * nothing due, and is simply re-armed for the next deadline (at most once per earliest budget).
 * The timer is cleared when no call is left, so an idle channel or server keeps no timer alive.
 */
import { performance } from "perf_hooks";

/** Something with a deadline: the linked-list fields live on the call object itself (no allocation). */
export interface Timed {
  /** Monotonic ms (`performance.now()` scale) at which the deadline passes. */
  deadlineAt: number;
  deadlinePrev: Timed | null;
  deadlineNext: Timed | null;
  deadlineList: DeadlineList | null;
  /** Called once when the deadline passes while the call is still in the queue. */
  onDeadline(): void;
}

/** The calls of one budget, oldest first. */
export class DeadlineList {
  head: Timed | null = null;
  tail: Timed | null = null;
  constructor(readonly budgetMs: number) {}
}

// A Node timer fires when the loop's cached clock says so, which can be a fraction of a
// millisecond before performance.now() agrees: anything due within this is expired now, as a
// per-call setTimeout would have done, instead of being re-armed for one more millisecond.
const SLACK_MS = 1;

/** One timer for the deadlines of many calls. */
export class DeadlineQueue {
  private readonly lists = new Map<number, DeadlineList>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** When the armed timer fires (monotonic ms); Infinity when none is armed. */
  private armedAt = Infinity;
  private expiring = false;
  private readonly fire = (): void => this.expire();

  /** Calls queued. */
  get size(): number {
    return this.count;
  }

  /**
   * Starts timing `item`: its deadline passes `budgetMs` after `startedAt` (default: now; a
   * `performance.now()` reading). Items of one budget must be added in the order they started.
   */
  add(item: Timed, budgetMs: number, startedAt = performance.now()): void {
    if (!(budgetMs >= 0)) budgetMs = 0; // negative or NaN: due at once, as setTimeout would do
    const at = startedAt + budgetMs;
    // Lists by whole milliseconds: budgets a fraction apart share one (they may then expire up to
    // 1 ms out of order, within the timer's own resolution).
    const key = Math.ceil(budgetMs);
    let list = this.lists.get(key);
    if (list === undefined) {
      list = new DeadlineList(key);
      this.lists.set(key, list);
    }
    item.deadlineAt = at;
    item.deadlineList = list;
    item.deadlineNext = null;
    item.deadlinePrev = list.tail;
    if (list.tail !== null) list.tail.deadlineNext = item;
    else list.head = item;
    list.tail = item;
    this.count++;
    // The lists are sorted, but a call added "now" can still land before an older head of a longer
    // budget: arm for it unless something earlier is armed already.
    if (at < this.armedAt && !this.expiring) this.arm(at, startedAt);
  }

  /** Stops timing `item` (idempotent: an item not queued is ignored). */
  remove(item: Timed): void {
    const list = item.deadlineList;
    if (list === null) return;
    const prev = item.deadlinePrev;
    const next = item.deadlineNext;
    if (prev !== null) prev.deadlineNext = next;
    else list.head = next;
    if (next !== null) next.deadlinePrev = prev;
    else list.tail = prev;
    item.deadlineList = null;
    item.deadlinePrev = null;
    item.deadlineNext = null;
    // An empty list goes, so budgets computed per call (all different) cannot pile up.
    if (list.head === null) this.lists.delete(list.budgetMs);
    if (--this.count === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.armedAt = Infinity;
    }
  }

  /** Forgets every call without expiring any (close). */
  clear(): void {
    for (const list of this.lists.values()) {
      for (let it = list.head; it !== null; ) {
        const next = it.deadlineNext;
        it.deadlineList = it.deadlinePrev = it.deadlineNext = null;
        it = next;
      }
    }
    this.lists.clear();
    this.count = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private arm(at: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - now)));
  }

  private expire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = performance.now();
    // Unlink everything due first, then run the callbacks: they may add and remove calls (which
    // arms nothing meanwhile: the next deadline is looked for once they are done).
    let due: Timed[] | undefined;
    for (const list of this.lists.values()) {
      while (list.head !== null && list.head.deadlineAt - now < SLACK_MS) {
        const it = list.head;
        this.remove(it);
        (due ??= []).push(it);
      }
    }
    if (due !== undefined) {
      this.expiring = true;
      for (const it of due) {
        try {
          it.onDeadline();
        } catch (err) {
          // As from a timer of its own: uncaught, but the other calls still expire.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
      this.expiring = false;
    }
    if (this.count === 0) return;
    let next = Infinity;
    for (const list of this.lists.values()) if (list.head !== null && list.head.deadlineAt < next) next = list.head.deadlineAt;
    if (next !== Infinity) this.arm(next, performance.now());
  }
}
