/**
 * The interop cases and their constants, shared by the TS client, the TS server and the jest matrix.
 * `cases.py` spells the same values out again for the Python programs, on purpose: each language's
 * programs stand on their own, as gRPC's interop clients do. test/interop/README.md defines every case.
 */

/** Every case, in the order a client runs them. */
export const CASES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "concurrent_large_unary",
  "events",
  "oneway",
] as const;
export type CaseName = (typeof CASES)[number];

/** How long one case may take before the client reports it failed, ms. */
export const CASE_TIMEOUT_MS: Readonly<Record<CaseName, number>> = {
  ...(Object.fromEntries(CASES.map((c) => [c, 10_000])) as Record<CaseName, number>),
  concurrent_large_unary: 40_000,
  events: 20_000,
};

/** large_unary: request and response payload sizes (gRPC's). */
export const LARGE_REQUEST_BYTES = 271_828;
export const LARGE_RESPONSE_BYTES = 314_159;
/** client_streaming and ping_pong request payload sizes (gRPC's); their sum is 74,922. */
export const REQUEST_SIZES = [27_182, 8, 1_828, 45_904] as const;
/** server_streaming and ping_pong response payload sizes (gRPC's). */
export const RESPONSE_SIZES = [31_415, 9, 2_653, 58_979] as const;
/** concurrent_large_unary: large_unary calls in flight at once on one channel. */
export const CONCURRENT_CALLS = 1_000;

/** custom_metadata: gRPC's `x-grpc-test-echo-*` keys, renamed for protozmq. */
export const ECHO_INITIAL_KEY = "x-pzmq-test-echo-initial";
export const ECHO_INITIAL_VALUE = "test_initial_metadata_value";
export const ECHO_TRAILING_KEY = "x-pzmq-test-echo-trailing-bin";
export const ECHO_TRAILING_VALUE: Uint8Array = Uint8Array.of(0xab, 0xab, 0xab);

/** status_code_and_message and special_status_message: status UNKNOWN (2) with these messages. */
export const STATUS_MESSAGE = "test status message";
export const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

/** events: ticks the server publishes per burst (plus one alert every ALERT_EVERY ticks, filtered out). */
export const EVENT_TICKS = 10_000;
export const ALERT_EVERY = 10;
/** Label of the tick that ends a burst (its `seq` is the number of ticks before it). */
export const END_LABEL = "end";
/** High-water marks of the events sockets: a burst must fit, PUB drops past them (docs/EVENTS.md). */
export const EVENTS_HWM = 100_000;

/** oneway: Notify calls sent before LastNotified must report the last one. */
export const ONEWAY_CALLS = 100;

/** One line of a client's output. */
export interface CaseResult {
  case: string;
  ok: boolean;
  ms: number;
  error?: string;
}
