"""One way to change a dataclass of settings from text: ``--set name=value`` on every command, the knobs
of a data spec (``default:halo=0``) and the fields of a ``.json`` config all go through :func:`typed_changes`.
"""
from __future__ import annotations

import difflib
import json
import math
from dataclasses import MISSING, fields, replace

from scribblegap.core.errors import ConfigError


def parse_assignments(pairs, option: str = "--set") -> dict:
    """``["iters=800", "lr=2e-4"]`` -> ``{"iters": "800", "lr": "2e-4"}`` (values stay text until typed)."""
    out = {}
    for pair in pairs or ():
        name, sep, value = str(pair).partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{option} expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _field_default(f):
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else None


def _example(f):
    """What a field's values look like: its default, or an empty tuple for an optional tuple field (a
    default of None says nothing of the type, and ``--set curve_seeds=1`` means ``(1,)``)."""
    default = _field_default(f)
    if default is None and str(f.type).replace(" ", "").startswith("tuple|"):
        return ()
    return default


def _parsed(part):
    """One item of a tuple given as text (``0.01,0.02``): a number where it reads as one."""
    if not isinstance(part, str):
        return part
    try:
        return json.loads(part)
    except json.JSONDecodeError:
        return part


def _convert(value, example, name: str, what: str):
    """``value`` (text or JSON-like) as the type of ``example``, the field's default."""
    if isinstance(value, str):
        text = value
        if text.lower() in ("none", "null", ""):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
    if value is None or example is None:
        return value
    kind = type(example)
    try:
        if kind is bool:
            if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
                return value.lower() in ("true", "yes", "1")
            if isinstance(value, (bool, int)) and value in (0, 1):
                return bool(value)
            raise ValueError
        if kind is tuple:
            parts = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
            return tuple(type(example[0])(v) if example else _parsed(v) for v in parts)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        converted = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {name}={value!r} is not of type {kind.__name__}") from None
    if isinstance(converted, float) and not math.isfinite(converted):
        raise ConfigError(f"{what} {name}={value!r} must be a finite number")
    return converted


def unknown_names(what: str, unknown, known) -> ConfigError:
    """The one error for misspelt settings: it names the nearest known one."""
    unknown, known = sorted(unknown), list(known)
    hints = [difflib.get_close_matches(name, known, n=1, cutoff=0.5) for name in unknown]
    hint = "; ".join(f"did you mean {h[0]}?" for h in hints if h)
    return ConfigError(f"unknown {what}{'s' * (len(unknown) > 1)} {', '.join(unknown)}"
                       + (f"; {hint}" if hint else "") + f" (known: {', '.join(known)})")


def typed_changes(cls, changes: dict, what: str = "setting") -> dict:
    """``changes`` checked against the fields of dataclass ``cls`` and converted to their types."""
    known = {f.name: f for f in fields(cls)}
    unknown = set(changes) - set(known)
    if unknown:
        raise unknown_names(what, unknown, known)
    return {k: _convert(v, _example(known[k]), k, what) for k, v in changes.items()}


def typed_values(defaults: dict, changes: dict, what: str = "parameter") -> dict:
    """Like :func:`typed_changes` for settings given as a dict of defaults (a function's keywords)."""
    unknown = set(changes) - set(defaults)
    if unknown:
        raise unknown_names(what, unknown, defaults)
    return {k: _convert(v, defaults[k], k, what) for k, v in changes.items()}


def with_changes(obj, changes: dict, what: str = "setting"):
    """A copy of dataclass instance ``obj`` with text or JSON ``changes`` applied."""
    return replace(obj, **typed_changes(type(obj), changes, what))


class Preset:
    """A named set of changes to a dataclass's defaults, with the one-line reason it exists."""

    def __init__(self, why: str, **changes):
        self.why, self.changes = why, changes

    def build(self, cls, what: str = "setting", **overrides):
        """``cls()`` with this preset's changes, then ``overrides`` (text or typed values) on top."""
        return replace(cls(**self.changes), **typed_changes(cls, overrides, what))

    def describe(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.changes.items()) or "the defaults"

