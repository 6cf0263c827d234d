"""Typed use of generated modules: `mypy --strict` must accept this file with no `# type: ignore`.

Checked by test/python/test_generated_stubs.py against the stubs protozmq generates for schemas/.
"""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from imports import app_pb2
from imports.base import common_pb2
from maps import maps_pb2
from name_clash import name_clash_pb2
from oneof import oneof_pb2
from proto2 import proto2_pb2
from wkt import wkt_pb2


def build_order() -> app_pb2.Order:
    order = app_pb2.Order(id="o-1", currency=common_pb2.CURRENCY_EUR)
    line = order.lines.add()
    line.sku = "sku-1"
    order.total.units = 12
    order.adjustments["tip"].units = 1
    order.tag.tag = "gift"
    return order


def which_shape(choice: oneof_pb2.Choice) -> str:
    shape = choice.WhichOneof("shape")
    if shape is None:
        return "none"
    if choice.HasField("circle"):
        return f"circle {choice.circle.radius}"
    return shape


def enums_are_value_types() -> oneof_pb2.Color.ValueType:
    color: oneof_pb2.Color.ValueType = oneof_pb2.COLOR_RED
    name: str = oneof_pb2.Color.Name(color)
    return oneof_pb2.Color.Value(name)


def maps_and_repeated() -> int:
    values = maps_pb2.ValueTypes(double_values={"pi": 3.14}, message_values={"a": maps_pb2.Card(rank=1)})
    values.enum_values["x"] = maps_pb2.SUIT_HEARTS
    total: int = sum(card.rank for card in values.message_values.values())
    return total + len(values.double_values)


def keywords_and_self() -> int:
    # `self` and `type` are ordinary arguments; `class` (a keyword) is reached with get/setattr.
    clash = name_clash_pb2.Clash(self=1, type=2)
    setattr(clash, "class", 3)
    value: int = getattr(clash, "class")
    return clash.self + clash.type + value


def proto2_defaults() -> float:
    d = proto2_pb2.Defaults()
    if not d.HasField("double_value"):
        return d.double_value
    return 0.0


def well_known(ts: timestamp_pb2.Timestamp) -> wkt_pb2.Singular:
    s = wkt_pb2.Singular()
    s.timestamp.CopyFrom(ts)
    return s


def public_reexport() -> None:
    # `imports/public_reexport.proto` does `import public "imports/base/common.proto"`: its module
    # re-exports Money (the .py star-imports it, and so does the stub).
    from imports import public_reexport_pb2  # noqa: PLC0415

    money: common_pb2.Money = public_reexport_pb2.Money(units=1)
    tagged = public_reexport_pb2.Tagged(tag="x", price=money)
    assert tagged.price.units == 1
