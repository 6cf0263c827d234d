/**
 * protozmq's TypeScript conformance testee: Google's `conformance_test_runner` (3.21.12) talks to it
 * over stdin/stdout, and every message it parses or writes goes through the codecs protozmq
 * generated from the suite's own `test_messages_proto{2,3}.proto` and `conformance.proto`
 * (test/conformance/protos/). Start it through `test/conformance/run-testee`, which generates the
 * code first if needed and runs this file with tsx.
 *
 *   tsx test/conformance/testee.ts <dir of the generated TS>
 *
 * Protocol, per test (conformance.proto): the runner writes a uint32 little-endian length and a
 * ConformanceRequest; we answer with a length and a ConformanceResponse. The first request asks for
 * the failure set (message type `conformance.FailureSet`); we claim none, so the committed
 * failure list (failing_tests_ts.txt) is the only one. Then for each test:
 *
 *   request payload        what we do
 *   protobuf_payload       Type.decode      DecodeError -> parse_error
 *   json_payload           JSON.parse then Type.fromJSON (ignoreUnknownFields for the
 *                          JSON_IGNORE_UNKNOWN_PARSING_TEST category)
 *                                           SyntaxError, DecodeError -> parse_error
 *   text / jspb payload    skipped (protozmq has no text format)
 *   requested output       PROTOBUF: Type.encode; JSON: JSON.stringify(Type.toJSON)
 *                                           an error -> serialize_error; TEXT_FORMAT, JSPB: skipped
 *
 * Any other exception is a bug in a codec (decode and fromJSON promise DecodeError only) and is
 * answered as runtime_error, which the runner counts as a failure. Nothing but responses may go to
 * stdout; set PROTOZMQ_CONFORMANCE_DEBUG=1 to log every exchange to stderr.
 */
import * as fs from "fs";
import * as path from "path";
import { DecodeError, type JsonValue, type MessageType } from "protozmq";

/** The generated `conformance.proto` module, as far as this testee uses it. */
interface ConformanceModule {
  readonly ConformanceRequest: MessageType<ConformanceRequest>;
  readonly ConformanceResponse: MessageType<ConformanceResponse>;
  readonly FailureSet: MessageType<{ failure: string[] }>;
  readonly WireFormat: { readonly PROTOBUF: number; readonly JSON: number; readonly JSPB: number; readonly TEXT_FORMAT: number };
  readonly TestCategory: { readonly JSON_IGNORE_UNKNOWN_PARSING_TEST: number };
}

type RequestPayload =
  | { readonly $case: "protobufPayload"; readonly protobufPayload: Uint8Array }
  | { readonly $case: "jsonPayload"; readonly jsonPayload: string }
  | { readonly $case: "jspbPayload"; readonly jspbPayload: string }
  | { readonly $case: "textPayload"; readonly textPayload: string };

interface ConformanceRequest {
  readonly payload?: RequestPayload | undefined;
  readonly requestedOutputFormat: number;
  readonly messageType: string;
  readonly testCategory: number;
}

type Result =
  | { $case: "parseError"; parseError: string }
  | { $case: "serializeError"; serializeError: string }
  | { $case: "runtimeError"; runtimeError: string }
  | { $case: "protobufPayload"; protobufPayload: Uint8Array }
  | { $case: "jsonPayload"; jsonPayload: string }
  | { $case: "skipped"; skipped: string };

interface ConformanceResponse {
  result?: Result | undefined;
}

const genDir = path.resolve(process.argv[2] ?? path.join(__dirname, "../../.cache/conformance/generated/ts"));
/* eslint-disable @typescript-eslint/no-require-imports -- the generated code lives outside the source tree */
const conformance = require(path.join(genDir, "conformance.ts")) as ConformanceModule;
const proto3 = require(path.join(genDir, "test_messages_proto3.ts")) as { TestAllTypesProto3: MessageType<unknown> };
const proto2 = require(path.join(genDir, "test_messages_proto2.ts")) as { TestAllTypesProto2: MessageType<unknown> };
/* eslint-enable @typescript-eslint/no-require-imports */

const { ConformanceRequest, ConformanceResponse, FailureSet, WireFormat, TestCategory } = conformance;
/** The message types the suite names in `message_type`. */
const TYPES = new Map<string, MessageType<unknown>>([
  [proto3.TestAllTypesProto3.typeName, proto3.TestAllTypesProto3],
  [proto2.TestAllTypesProto2.typeName, proto2.TestAllTypesProto2],
]);
const DEBUG = process.env.PROTOZMQ_CONFORMANCE_DEBUG === "1";

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** A non-DecodeError escaping a codec: report where it came from, it is a bug to fix. */
function bug(e: unknown): Result {
  const where = e instanceof Error && e.stack ? ` at ${e.stack.split("\n").slice(1, 3).map((l) => l.trim()).join(" ")}` : "";
  return { $case: "runtimeError", runtimeError: `${describe(e)}${where}` };
}

function parse(type: MessageType<unknown>, req: ConformanceRequest): { message: unknown } | Result {
  const payload = req.payload;
  switch (payload?.$case) {
    case "protobufPayload":
      try {
        return { message: type.decode(payload.protobufPayload) };
      } catch (e) {
        return e instanceof DecodeError ? { $case: "parseError", parseError: describe(e) } : bug(e);
      }
    case "jsonPayload": {
      let json: JsonValue;
      try {
        json = JSON.parse(payload.jsonPayload) as JsonValue;
      } catch (e) {
        return { $case: "parseError", parseError: describe(e) };
      }
      const ignoreUnknownFields = req.testCategory === TestCategory.JSON_IGNORE_UNKNOWN_PARSING_TEST;
      try {
        return { message: type.fromJSON(json, { ignoreUnknownFields }) };
      } catch (e) {
        return e instanceof DecodeError ? { $case: "parseError", parseError: describe(e) } : bug(e);
      }
    }
    case "textPayload":
      return { $case: "skipped", skipped: "protozmq has no text format" };
    case "jspbPayload":
      return { $case: "skipped", skipped: "JSPB is Google-internal" };
    default:
      return { $case: "runtimeError", runtimeError: "request has no payload" };
  }
}

function serialize(type: MessageType<unknown>, message: unknown, format: number): Result {
  switch (format) {
    case WireFormat.PROTOBUF:
      try {
        return { $case: "protobufPayload", protobufPayload: type.encode(message) };
      } catch (e) {
        return { $case: "serializeError", serializeError: describe(e) };
      }
    case WireFormat.JSON:
      try {
        return { $case: "jsonPayload", jsonPayload: JSON.stringify(type.toJSON(message)) };
      } catch (e) {
        return { $case: "serializeError", serializeError: describe(e) };
      }
    case WireFormat.TEXT_FORMAT:
      return { $case: "skipped", skipped: "protozmq has no text format" };
    case WireFormat.JSPB:
      return { $case: "skipped", skipped: "JSPB is Google-internal" };
    default:
      return { $case: "runtimeError", runtimeError: `unknown requested_output_format ${format}` };
  }
}

/** One test: a ConformanceRequest in, the result of the ConformanceResponse out. */
function runTest(req: ConformanceRequest): Result {
  if (req.messageType === FailureSet.typeName) {
    return { $case: "protobufPayload", protobufPayload: FailureSet.encode(FailureSet.create({ failure: [] })) };
  }
  const type = TYPES.get(req.messageType);
  if (type === undefined) return { $case: "runtimeError", runtimeError: `unknown message_type "${req.messageType}"` };
  const parsed = parse(type, req);
  if (!("message" in parsed)) return parsed;
  return serialize(type, parsed.message, req.requestedOutputFormat);
}

/** Read exactly `n` bytes from stdin; null on EOF before the first byte (the runner is done). */
function readExactly(n: number): Buffer | null {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got: number;
    try {
      got = fs.readSync(0, buf, off, n - off, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw e;
    }
    if (got === 0) {
      if (off === 0) return null;
      throw new Error(`unexpected EOF after ${off} of ${n} bytes`);
    }
    off += got;
  }
  return buf;
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(1, bytes, off, bytes.length - off);
}

function main(): void {
  let count = 0;
  for (;;) {
    const head = readExactly(4);
    if (head === null) break;
    const body = readExactly(head.readUInt32LE(0)) ?? Buffer.alloc(0);
    let result: Result;
    let req: ConformanceRequest | undefined;
    try {
      req = ConformanceRequest.decode(new Uint8Array(body.buffer, body.byteOffset, body.length));
      result = runTest(req);
    } catch (e) {
      result = bug(e);
    }
    const out = ConformanceResponse.encode(ConformanceResponse.create({ result }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(out.length, 0);
    writeAll(Buffer.concat([len, out]));
    if (DEBUG) process.stderr.write(`testee: ${req?.messageType} ${req?.payload?.$case} -> ${result.$case}\n`);
    count++;
  }
  if (DEBUG) process.stderr.write(`testee: EOF after ${count} tests\n`);
}

if (require.main === module) main();
