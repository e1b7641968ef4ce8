"""A small typed-schema engine: turns a parsed TOML table into frozen
dataclasses, reporting unknown keys (with a "did you mean") and wrong types by
their key path, e.g. ``editions.print.bleed: expected a length such as '3mm',
got 'three'``."""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints


class SchemaError(Exception):
    def __init__(self, path: tuple[str, ...], message: str):
        super().__init__(message)
        self.path = path
        self.message = message

    @property
    def dotted(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
        return out


_UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}
_LENGTH_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(mm|cm|in|pt|pc|px)\s*$")


@dataclass(frozen=True, order=True)
class Length:
    """A physical length, kept in millimetres, written as in CSS ('3mm', '0.125in')."""

    mm: float

    @classmethod
    def parse(cls, value: object) -> "Length":
        if isinstance(value, str):
            m = _LENGTH_RE.match(value)
            if m:
                return cls(round(float(m.group(1)) * _UNITS_MM[m.group(2)], 6))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
            return cls(0.0)
        raise ValueError(f"expected a length such as '3mm', got {value!r}")

    @property
    def pt(self) -> float:
        return self.mm * 72 / 25.4

    def css(self) -> str:
        return f"{self.mm:g}mm"


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        names = [_type_name(o) for o in get_args(tp) if o is not type(None)]
        optional = " (optional)" if type(None) in get_args(tp) else ""
        return " or ".join(names) + optional
    if tp is Length:
        return "a length ('3mm', '0.125in')"
    if isinstance(tp, type) and issubclass(tp, str) and tp is not str:
        return getattr(tp, "KIND", "a string")
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(tp, getattr(tp, "__name__", str(tp)))


def convert(value: Any, tp: Any, path: tuple[str, ...] = ()) -> Any:
    """Convert *value* to type *tp*, raising SchemaError with the key path."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        # Tables prefer dataclass options, scalars the others.
        for option in sorted(options, key=lambda o: not (isinstance(value, dict) == dataclasses.is_dataclass(o))):
            if option is type(None):
                continue
            try:
                return convert(value, option, path)
            except SchemaError as exc:
                exc.option = option
                errors.append(exc)
        # Report the error of the most specific option: the deepest path, and on a
        # tie the option whose table knows most of the given keys.
        def known(exc: SchemaError) -> int:
            option = getattr(exc, "option", None)
            if isinstance(value, dict) and option is not None and dataclasses.is_dataclass(option):
                names = {f.metadata.get("key", f.name) for f in dataclasses.fields(option)}
                return len(names & set(value))
            return 0
        # (then the one that recognises a misspelt key: a part's 'chapterz', an entry's 'titel')
        best = max(errors, key=lambda e: (len(e.path), known(e), "did you mean" in e.message))
        if len(best.path) > len(path) or len(errors) == 1:  # (an optional value: its own type's message)
            raise best
        names = " or ".join(_type_name(o) for o in options if o is not type(None))
        raise SchemaError(path, f"expected {names}, got {value!r}")
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            hint = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SchemaError(path, f"expected one of {', '.join(map(repr, allowed))}, got {value!r}{extra}")
        return value
    if origin in (list, tuple):
        item_tp = get_args(tp)[0]
        if not isinstance(value, list):
            raise SchemaError(path, f"expected a list, got {value!r}")
        return tuple(convert(v, item_tp, path + (str(i),)) for i, v in enumerate(value))
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        if not isinstance(value, dict):
            raise SchemaError(path, f"expected a table, got {value!r}")
        return {k: convert(v, val_tp, path + (k,)) for k, v in value.items()}
    if tp is Length or (isinstance(tp, type) and issubclass(tp, str) and hasattr(tp, "parse")):
        try:
            return tp.parse(value)
        except ValueError as exc:
            raise SchemaError(path, str(exc)) from None
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(value, tp, path)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()  # TOML dates
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise SchemaError(path, f"expected {_type_name(tp)}, got {value!r}")
    return value


def _convert_dataclass(value: Any, tp: type, path: tuple[str, ...]) -> Any:
    if hasattr(tp, "from_scalar") and not isinstance(value, dict):
        try:
            value = tp.from_scalar(value)
        except ValueError as exc:
            raise SchemaError(path, str(exc)) from None
    if not isinstance(value, dict):
        raise SchemaError(path, f"expected a table, got {value!r}")
    hints = get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
    keys = {f.metadata.get("key", f.name): f.name for f in fields.values()}
    kwargs = {}
    for key, raw in value.items():
        if not isinstance(key, str):
            raise SchemaError(path + (str(key),), "keys must be text; quote the key or fix the indentation")
        if key not in keys:
            hint = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
            extra = f" (did you mean {hint[0]!r}?)" if hint else f"; known keys: {', '.join(sorted(keys))}"
            raise SchemaError(path + (key,), f"unknown key{extra}")
        name = keys[key]
        kwargs[name] = convert(raw, hints[name], path + (key,))
    missing = [
        k for k, n in keys.items()
        if n not in kwargs
        and fields[n].default is dataclasses.MISSING
        and fields[n].default_factory is dataclasses.MISSING
    ]
    if missing:
        raise SchemaError(path + (missing[0],), f"required key is missing")
    try:
        obj = tp(**kwargs)
    except ValueError as exc:
        # Checks in __post_init__ start their message with the key they concern.
        key, _, rest = str(exc).partition(": ")
        if rest and key in keys:
            raise SchemaError(path + (key,), rest) from None
        raise SchemaError(path, str(exc)) from None
    return obj


def describe(tp: type, prefix: str = "") -> typing.Iterator[tuple[str, str, str]]:
    """Yield (key path, type name, help) for every option of a schema dataclass."""
    hints = get_type_hints(tp)
    for f in dataclasses.fields(tp):
        key = prefix + f.metadata.get("key", f.name)
        ftp = hints[f.name]
        inner = [o for o in get_args(ftp) if o is not type(None)] if get_origin(ftp) in (Union, types.UnionType) else []
        if len(inner) == 1 and dataclasses.is_dataclass(inner[0]) and inner[0] is not Length:
            ftp = inner[0]
        if dataclasses.is_dataclass(ftp) and ftp is not Length:
            yield from describe(ftp, key + ".")
        else:
            yield key, _type_name(ftp), f.metadata.get("help", "")
