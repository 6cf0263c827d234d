/**
 * Equality helpers for generated `equals()`. Message fields compare with the message's own
 * `equals`, passed in as `eq` (a method reference, no closure is created per call).
 */

/**
 * Byte-wise equality of two byte arrays.
 *
 * @example
 * ```ts
 * bytesEquals(new Uint8Array([1]), new Uint8Array([1])); // true
 * ```
 */
export function bytesEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Float equality as messages use it: `===`, except NaN equals NaN (so a decoded copy of a message
 * holding NaN equals the original).
 *
 * @example
 * ```ts
 * floatEquals(NaN, NaN); // true
 * floatEquals(0, -0); // true
 * ```
 */
export function floatEquals(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * Element-wise equality of repeated fields; `eq` defaults to `===`.
 *
 * @example
 * ```ts
 * listEquals(a.items, b.items, Item.equals);
 * ```
 */
export function listEquals<V>(a: readonly V[], b: readonly V[], eq?: (x: V, y: V) => boolean): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (eq === undefined ? a[i] !== b[i] : !eq(a[i]!, b[i]!)) return false;
  }
  return true;
}

/**
 * Equality of map fields (same keys, equal values); `eq` defaults to `===`.
 *
 * @example
 * ```ts
 * mapEquals(a.scores, b.scores);
 * ```
 */
export function mapEquals<V>(
  a: { readonly [key: string]: V }, b: { readonly [key: string]: V }, eq?: (x: V, y: V) => boolean,
): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (eq === undefined ? a[k] !== b[k] : !eq(a[k]!, b[k]!)) return false;
  }
  return true;
}
