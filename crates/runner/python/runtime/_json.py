"""Compact JSON for the bridge, without importing :mod:`json` at start-up.

``import json`` pulls in :mod:`re` (several milliseconds of a cold start). The C accelerator
``_json`` that :mod:`json` itself uses needs neither, so the bridge drives it directly and falls
back to :mod:`json` when the accelerator is missing or behaves differently (another
interpreter). Both paths give exactly what ``json.loads`` / ``json.dumps(obj,
separators=(",", ":"), ensure_ascii=False)`` give.
"""

from __future__ import annotations

__all__ = ["loads", "dumps"]

_INF = float("inf")
_CONSTANTS = {"-Infinity": -_INF, "Infinity": _INF, "NaN": _INF - _INF}
_WS = " \t\n\r"


def _fallback():
    import json

    def loads(s):
        return json.loads(s)

    def dumps(obj, default=None, allow_nan=True):
        return json.dumps(obj, separators=(",", ":"), default=default, allow_nan=allow_nan,
                          ensure_ascii=False)

    return loads, dumps


def _accelerated():
    import _json

    class _Context:
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = _CONSTANTS.__getitem__
        memo: dict = {}

    scan = _json.make_scanner(_Context())
    make_encoder = _json.make_encoder
    encode_str = _json.encode_basestring

    def loads(s):
        """Parse one JSON document (``str`` or UTF-8 ``bytes``); ``ValueError`` if it is not."""
        if not isinstance(s, str):
            s = str(s, "utf-8")
        s = s.lstrip(_WS)
        try:
            obj, end = scan(s, 0)
        except StopIteration as e:
            raise ValueError(f"Expecting value: char {e.value}") from None
        if end != len(s) and s[end:].strip(_WS):
            raise ValueError(f"Extra data: char {end}")
        return obj

    def _no_default(o):
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    # One encoder per (default, allow_nan), made once. Without a markers dict (json's
    # check_circular=False) an encoder keeps no state between calls, so threads can share it;
    # a circular structure is found again, with a checking encoder, once recursion fails.
    encoders: dict = {}

    def dumps(obj, default=None, allow_nan=True):
        """Compact JSON text of ``obj`` (non-ASCII characters kept as they are)."""
        if isinstance(obj, str):
            return encode_str(obj)
        enc = encoders.get((default, allow_nan))
        if enc is None:
            if len(encoders) > 64:  # callers pass a few fixed hooks; never grow without bound
                encoders.clear()
            enc = encoders[(default, allow_nan)] = make_encoder(
                None, default or _no_default, encode_str, None, ":", ",", False, False, allow_nan)
        try:
            return "".join(enc(obj, 0))
        except RecursionError:
            # Say "Circular reference detected" (ValueError) when that is the cause.
            checked = make_encoder({}, default or _no_default, encode_str, None, ":", ",", False,
                                   False, allow_nan)
            return "".join(checked(obj, 0))

    # The accelerator's calling convention is private: check it does what json does.
    probe = {"a": [1, -2.5, None, True, False, "\u00e9\n"], "b": {}}
    text = dumps(probe)
    if text != '{"a":[1,-2.5,null,true,false,"\u00e9\\n"],"b":{}}' or loads(text) != probe:
        raise ValueError("unexpected _json behaviour")
    if loads(' [1e3, "x"] ') != [1000.0, "x"]:
        raise ValueError("unexpected _json behaviour")
    return loads, dumps


try:
    loads, dumps = _accelerated()
except Exception:  # pragma: no cover - other interpreters
    loads, dumps = _fallback()
