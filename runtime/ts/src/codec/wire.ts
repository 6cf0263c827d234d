/**
 * Protobuf wire types: the low 3 bits of every field tag, telling a decoder how to find the end of a
 * value it does not know (https://protobuf.dev/programming-guides/encoding/#structure).
 *
 * @example
 * ```ts
 * const tag = (fieldNumber << 3) | WireType.LengthDelimited;
 * ```
 */
export enum WireType {
  /** int32, int64, uint32, uint64, sint32, sint64, bool, enum. */
  Varint = 0,
  /** fixed64, sfixed64, double. */
  Bit64 = 1,
  /** string, bytes, embedded messages, packed repeated fields. */
  LengthDelimited = 2,
  /** proto2 group start (deprecated encoding, still valid on the wire). */
  StartGroup = 3,
  /** proto2 group end. */
  EndGroup = 4,
  /** fixed32, sfixed32, float. */
  Bit32 = 5,
}
