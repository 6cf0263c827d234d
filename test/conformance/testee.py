"""protozmq's Python conformance testee.

Google's ``conformance_test_runner`` (3.21.12) talks to it over stdin/stdout. The message classes
come from the ``_pb2`` modules that protozmq generated from the suite's own protos
(test/conformance/protos/); the codecs are Google's official ``protobuf`` runtime, driven by the
FileDescriptorProto that protozmq serializes. So this checks that our descriptors make the runtime
behave exactly as protoc's would. Start it through ``test/conformance/run-testee-python``:

    python test/conformance/testee.py <dir of the generated Python>

Protocol, per test (conformance.proto): a uint32 little-endian length and a ConformanceRequest in, a
length and a ConformanceResponse out. The first request asks for the failure set; we claim none, so
the committed list (failing_tests_python.txt) is the only one. Binary and JSON are tested; text
format requests are answered ``skipped`` (protozmq does not offer text format in TypeScript either,
and both testees should measure the same thing).

Error mapping follows Google's own conformance_python.py: a failed binary parse (DecodeError) or JSON
parse (any exception) is ``parse_error``, a failed JSON print is ``serialize_error``, anything else is
``runtime_error``. Set PROTOZMQ_CONFORMANCE_DEBUG=1 to log every exchange to stderr.
"""

from __future__ import annotations

import os
import struct
import sys

sys.path.insert(0, os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", ".cache", "conformance", "generated", "python")))

from google.protobuf import json_format, message  # noqa: E402

import conformance_pb2  # noqa: E402
import test_messages_proto2_pb2  # noqa: E402
import test_messages_proto3_pb2  # noqa: E402

TYPES = {
    test_messages_proto3_pb2.TestAllTypesProto3.DESCRIPTOR.full_name: test_messages_proto3_pb2.TestAllTypesProto3,
    test_messages_proto2_pb2.TestAllTypesProto2.DESCRIPTOR.full_name: test_messages_proto2_pb2.TestAllTypesProto2,
}
DEBUG = os.environ.get("PROTOZMQ_CONFORMANCE_DEBUG") == "1"


def describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def run_test(request: conformance_pb2.ConformanceRequest) -> conformance_pb2.ConformanceResponse:
    response = conformance_pb2.ConformanceResponse()
    if request.message_type == conformance_pb2.FailureSet.DESCRIPTOR.full_name:
        response.protobuf_payload = conformance_pb2.FailureSet().SerializeToString()
        return response
    cls = TYPES.get(request.message_type)
    if cls is None:
        response.runtime_error = f"unknown message_type {request.message_type!r}"
        return response
    msg = cls()

    payload = request.WhichOneof("payload")
    if payload == "protobuf_payload":
        try:
            msg.ParseFromString(request.protobuf_payload)
        except message.DecodeError as e:
            response.parse_error = describe(e)
            return response
    elif payload == "json_payload":
        ignore = request.test_category == conformance_pb2.JSON_IGNORE_UNKNOWN_PARSING_TEST
        try:
            json_format.Parse(request.json_payload, msg, ignore_unknown_fields=ignore)
        except Exception as e:  # noqa: BLE001 - every JSON parse failure is a parse_error
            response.parse_error = describe(e)
            return response
    elif payload in ("text_payload", "jspb_payload"):
        response.skipped = "protozmq tests binary and JSON only"
        return response
    else:
        response.runtime_error = "request has no payload"
        return response

    fmt = request.requested_output_format
    if fmt == conformance_pb2.PROTOBUF:
        response.protobuf_payload = msg.SerializeToString()
    elif fmt == conformance_pb2.JSON:
        try:
            response.json_payload = json_format.MessageToJson(msg)
        except Exception as e:  # noqa: BLE001
            response.serialize_error = describe(e)
    elif fmt in (conformance_pb2.TEXT_FORMAT, conformance_pb2.JSPB):
        response.skipped = "protozmq tests binary and JSON only"
    else:
        response.runtime_error = f"unknown requested_output_format {fmt}"
    return response


def read_exactly(stream, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            if not data:
                return None
            raise EOFError(f"unexpected EOF after {len(data)} of {n} bytes")
        data += chunk
    return data


def main() -> int:
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    count = 0
    while True:
        head = read_exactly(stdin, 4)
        if head is None:
            break
        (length,) = struct.unpack("<I", head)
        body = read_exactly(stdin, length) or b""
        request = conformance_pb2.ConformanceRequest()
        try:
            request.ParseFromString(body)
            response = run_test(request)
        except Exception as e:  # noqa: BLE001 - never die: the runner would count every later test
            response = conformance_pb2.ConformanceResponse(runtime_error=describe(e))
        out = response.SerializeToString()
        stdout.write(struct.pack("<I", len(out)))
        stdout.write(out)
        stdout.flush()
        if DEBUG:
            sys.stderr.write(f"testee.py: {request.message_type} {request.WhichOneof('payload')} -> "
                             f"{response.WhichOneof('result')}\n")
        count += 1
    if DEBUG:
        sys.stderr.write(f"testee.py: EOF after {count} tests\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
