/**
 * A single-consumer async queue: the stream type of both sides. The channel pushes decoded
 * response messages into one (server and bidi streaming), the server pushes decoded request
 * messages into one (client and bidi streaming). Messages received before the consumer asks are
 * buffered; an end or an error is delivered after the buffered messages, like a stream would.
 */

/**
 * An `AsyncIterable` of messages fed by the runtime. Breaking out of a `for await` loop (which
 * calls `return()`) runs the owner's hook: on the client that cancels the call.
 *
 * @example
 * ```ts
 * for await (const reply of channel.serverStream(Watch, req)) {
 *   if (reply.done) break; // cancels the call on the server
 * }
 * ```
 */
export class MessageStream<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private ended = false;
  private failed = false;
  private error: unknown = undefined;
  private onReturn: (() => void) | undefined;

  /** @param onReturn called once if the consumer stops early (`return()` before the end). */
  constructor(onReturn?: () => void) {
    this.onReturn = onReturn;
  }

  /** Messages received and not yet consumed. */
  get buffered(): number {
    return this.items.length - this.head;
  }

  /** True once `end()`, `fail()` or `return()` was called. */
  get closed(): boolean {
    return this.ended;
  }

  /** @internal Delivers a message (ignored after the end). */
  push(value: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve({ value, done: false });
    else this.items.push(value);
  }

  /** @internal Ends the stream normally, after the buffered messages. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onReturn = undefined;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** @internal Ends the stream with an error, thrown after the buffered messages. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = true;
    this.error = error;
    this.onReturn = undefined;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failed) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops consuming: drops buffered messages and tells the owner (a client cancels the call). */
  return(): Promise<IteratorResult<T>> {
    const hook = this.onReturn;
    this.onReturn = undefined;
    this.items = [];
    this.head = 0;
    if (!this.ended) {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    }
    this.failed = false;
    if (hook !== undefined) hook();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
