"""Call metadata: request headers, response headers and trailers (PZMQ/1 section 4.3).

Modelled on grpc's metadata and on ``runtime/ts/src/metadata.ts``: an ordered multi-map whose keys
are lower-case ASCII and whose values are text, except for keys ending in ``-bin``, whose values
are raw bytes. Order and repeats are kept because the wire keeps them, so a TypeScript peer sees
the same list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Union, overload

__all__ = [
    "BINARY_METADATA_SUFFIX",
    "MAX_METADATA_KEY_BYTES",
    "RESERVED_METADATA_PREFIX",
    "Metadata",
    "MetadataLike",
    "MetadataValue",
    "is_binary_metadata_key",
    "is_valid_metadata_key",
]

#: A metadata value: text for ordinary keys, bytes for keys ending in ``-bin``.
MetadataValue = Union[str, bytes]

#: Anything ``Metadata`` can be built from: another ``Metadata``, ``(key, value)`` pairs, or a
#: mapping whose values are single values or sequences of values. (The mapping's values are typed
#: ``Any`` because mypy types ``{"x-user": "ada", "trace-bin": b"..."}`` as a dict of ``object``;
#: every value is checked when the ``Metadata`` is built.)
MetadataLike = Union[
    "Metadata",
    Iterable[tuple[str, MetadataValue]],
    Mapping[str, Any],
]

#: Longest key the wire allows (PZMQ/1 4.3).
MAX_METADATA_KEY_BYTES: Final = 255
#: Keys with this prefix are reserved for the protocol itself and refused by ``Metadata.add``.
RESERVED_METADATA_PREFIX: Final = "pzmq-"
#: Suffix marking a key whose values are bytes.
BINARY_METADATA_SUFFIX: Final = "-bin"

# fullmatch, not match: "$" would accept a trailing newline.
_KEY_PATTERN: Final = re.compile(r"[0-9a-z_.\-]{1,255}")


def is_valid_metadata_key(key: str) -> bool:
    """True if ``key`` (already lower-case) is a valid wire key: 1..255 characters of ``[0-9a-z-_.]``.

    Example::

        is_valid_metadata_key("x-trace-id")  # True
        is_valid_metadata_key("X-Trace")     # False: keys are lower-case on the wire
    """
    return _KEY_PATTERN.fullmatch(key) is not None


def is_binary_metadata_key(key: str) -> bool:
    """True if values of ``key`` are bytes, i.e. the key ends in ``-bin``.

    Example::

        is_binary_metadata_key("trace-bin")  # True
    """
    return key.endswith(BINARY_METADATA_SUFFIX)


class Metadata:
    """Ordered multi-map of call metadata.

    Keys are lower-cased on insertion and then validated (``[0-9a-z-_.]``, 1..255 bytes, no
    ``pzmq-`` prefix); a ``-bin`` key takes ``bytes`` values, any other key takes ``str``. A
    violation raises ``ValueError``/``TypeError`` at the call site that made it, not later on the
    wire. Equality compares the entries in order.

    Example::

        md = Metadata({"x-user": "ada"})
        md.add("x-tag", "a").add("x-tag", "b")
        md.set("trace-bin", b"\\x01\\x02")
        md.get("x-tag")      # "a" (the first value)
        md.get_all("x-tag")  # ["a", "b"]
        for key, value in md:
            print(key, value)
    """

    # A flat, insertion-ordered list: metadata blocks are short, so a scan beats a dict of lists
    # and keeps the wire order for free.
    __slots__ = ("_entries",)

    def __init__(self, init: MetadataLike | None = None) -> None:
        self._entries: list[tuple[str, MetadataValue]] = []
        if init is None:
            return
        if isinstance(init, Metadata):
            self._entries.extend(init._entries)  # values are immutable: sharing them is a copy
        elif isinstance(init, Mapping):
            for key, value in init.items():
                if isinstance(value, (str, bytes, bytearray, memoryview)):
                    k = _normalize_key(key)
                    self._entries.append((k, _check_value(k, value)))
                else:
                    for one in value:
                        self.add(key, one)
        else:
            for key, value in init:
                self.add(key, value)

    @classmethod
    def coerce(cls, value: MetadataLike | None) -> Metadata | None:
        """``value`` as ``Metadata`` (the same object if it already is one); ``None`` stays ``None``.

        Example::

            Metadata.coerce([("x-user", "ada")]).get("x-user")  # "ada"
        """
        if value is None or isinstance(value, Metadata):
            return value
        return cls(value)

    @classmethod
    def _from_wire(cls, entries: list[tuple[str, MetadataValue]]) -> Metadata:
        # The decoder already checked the keys; the reserved prefix is allowed here because the
        # protocol itself may use it.
        md = cls.__new__(cls)
        md._entries = entries
        return md

    def add(self, key: str, value: MetadataValue) -> Metadata:
        """Append a value, keeping any existing values of the key. Returns ``self`` for chaining.

        Example::

            Metadata().add("x-tag", "a").add("x-tag", "b").get_all("x-tag")  # ["a", "b"]
        """
        k = _normalize_key(key)
        self._entries.append((k, _check_value(k, value)))
        return self

    def set(self, key: str, value: MetadataValue) -> Metadata:
        """Replace all values of the key by one value, at the position of its first occurrence.

        Example::

            Metadata([("a", "1"), ("b", "2"), ("a", "3")]).set("a", "9")  # [("a", "9"), ("b", "2")]
        """
        k = _normalize_key(key)
        v = _check_value(k, value)
        for i, (ek, _) in enumerate(self._entries):
            if ek == k:
                self._entries[i] = (k, v)
                self._entries[i + 1 :] = [e for e in self._entries[i + 1 :] if e[0] != k]
                return self
        self._entries.append((k, v))
        return self

    @overload
    def get(self, key: str) -> MetadataValue | None: ...
    @overload
    def get(self, key: str, default: MetadataValue) -> MetadataValue: ...
    def get(self, key: str, default: MetadataValue | None = None) -> MetadataValue | None:
        """The first value of the key, or ``default``. Lookup is case-insensitive.

        Example::

            Metadata({"x-user": "ada"}).get("X-User")  # "ada"
        """
        k = key.lower()
        for ek, ev in self._entries:
            if ek == k:
                return ev
        return default

    def get_all(self, key: str) -> list[MetadataValue]:
        """All values of the key, in order (empty if none).

        Example::

            Metadata([("x-tag", "a"), ("x-tag", "b")]).get_all("x-tag")  # ["a", "b"]
        """
        k = key.lower()
        return [ev for ek, ev in self._entries if ek == k]

    def delete(self, key: str) -> bool:
        """Remove every value of the key. Returns True if something was removed.

        Example::

            md = Metadata({"a": "1"})
            md.delete("a")  # True, md is now empty
        """
        k = key.lower()
        before = len(self._entries)
        self._entries = [e for e in self._entries if e[0] != k]
        return len(self._entries) != before

    def merge(self, other: MetadataLike) -> Metadata:
        """Append every entry of ``other`` after this metadata's own entries. Returns ``self``.

        Example::

            Metadata({"a": "1"}).merge({"b": "2"}).keys()  # ["a", "b"]
        """
        src = other if isinstance(other, Metadata) else Metadata(other)
        self._entries.extend(src._entries)
        return self

    def copy(self) -> Metadata:
        """A copy that can be changed independently of this one.

        Example::

            md2 = md.copy().add("x-extra", "1")
        """
        return Metadata._from_wire(list(self._entries))

    def keys(self) -> list[str]:
        """Distinct keys in order of first occurrence.

        Example::

            Metadata([("b", "1"), ("a", "2"), ("b", "3")]).keys()  # ["b", "a"]
        """
        return list(dict.fromkeys(k for k, _ in self._entries))

    def entries(self) -> list[tuple[str, MetadataValue]]:
        """A list of the ``(key, value)`` entries in wire order.

        Example::

            Metadata({"a": "1"}).entries()  # [("a", "1")]
        """
        return list(self._entries)

    def to_dict(self) -> dict[str, MetadataValue | list[MetadataValue]]:
        """A plain dict for logs: a repeated key maps to the list of its values.

        Example::

            Metadata([("a", "1"), ("a", "2"), ("b", "3")]).to_dict()  # {"a": ["1", "2"], "b": "3"}
        """
        out: dict[str, MetadataValue | list[MetadataValue]] = {}
        for k in self.keys():
            values = self.get_all(k)
            out[k] = values[0] if len(values) == 1 else values
        return out

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, MetadataValue]]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Metadata):
            return self._entries == other._entries
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Metadata({self._entries!r})"


def _normalize_key(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"metadata key must be a str, got {type(key).__name__}")
    # isascii first: str.lower() maps some non-ASCII letters (KELVIN SIGN) to ASCII ones.
    k = key.lower()
    if not key.isascii() or _KEY_PATTERN.fullmatch(k) is None:
        raise ValueError(f"invalid metadata key {key!r}: 1..255 characters of [0-9a-z-_.]")
    if k.startswith(RESERVED_METADATA_PREFIX):
        raise ValueError(f"metadata key {key!r} uses the reserved prefix {RESERVED_METADATA_PREFIX!r}")
    return k


def _check_value(key: str, value: object) -> MetadataValue:
    if key.endswith(BINARY_METADATA_SUFFIX):
        if isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        raise TypeError(f"metadata key {key!r} ends in -bin: its value must be bytes")
    if not isinstance(value, str):
        raise TypeError(f"metadata key {key!r} takes str values (only -bin keys take bytes)")
    return value
