"""Misuse of generated modules that `mypy --strict` must reject.

Every line ending in `# error: <code>` must be reported with that error code, and no other line may
be: test/python/test_generated_stubs.py checks both directions.
"""

from __future__ import annotations

from oneof import oneof_pb2
from scalars import scalars_pb2

scalars_pb2.Scalars(int32_value="1")  # error: arg-type
scalars_pb2.Scalars(no_such_field=1)  # error: call-arg
s = scalars_pb2.Scalars()
s.string_value = 5  # error: assignment
s.HasField("int32_value")  # error: arg-type
oneof_pb2.Choice().WhichOneof("no_such_oneof")  # error: call-overload
color: oneof_pb2.Color.ValueType = 1  # error: assignment
oneof_pb2.Choice().ClearField("nope")  # error: arg-type
