"""Typed MCP content blocks.

When a tool result has no ``structuredContent`` and is not a single text block, the unwrapped
result is a list of these objects (one per content block, in order). Block types this module
does not know stay plain dicts, exactly as the server sent them.

Every block keeps the original wire dict in ``raw`` (not shown in ``repr``, ignored by ``==``),
and ``to_dict()`` gives the MCP wire form back, so nothing is lost.

=======================  =================================================================
wire ``type``            class
=======================  =================================================================
``text``                 :class:`TextContent` (``text``)
``image``                :class:`ImageContent` (``data`` base64, ``mime_type``; ``.bytes()``)
``audio``                :class:`AudioContent` (``data`` base64, ``mime_type``; ``.bytes()``)
``resource_link``        :class:`ResourceLink` (``uri``, ``name``, ``title``, ...)
``resource``             :class:`EmbeddedResource` (``uri``, ``mime_type``, ``text`` or
                         ``blob``; ``.bytes()``)
=======================  =================================================================
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = [
    "TextContent",
    "ImageContent",
    "AudioContent",
    "ResourceLink",
    "EmbeddedResource",
    "ContentBlock",
    "parse_block",
    "parse_content",
]

_MCPSCRIPT_BLOCK = True  # marker looked up by set_result's serializer


def _b64decode(data: str | None) -> bytes:
    if not data:
        return b""
    return binascii.a2b_base64(data)


def _put(d: dict, key: str, value: Any) -> None:
    if value is not None:
        d[key] = value


@dataclass
class TextContent:
    """A ``text`` block."""

    text: str
    annotations: dict | None = None
    meta: dict | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    type = "text"
    _mcpscript_block = True

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        """The block in MCP wire form (the original dict when it came from a server)."""
        if self.raw:
            return dict(self.raw)
        d = {"type": "text", "text": self.text}
        _put(d, "annotations", self.annotations)
        _put(d, "_meta", self.meta)
        return d


@dataclass(repr=False)
class _MediaContent:
    """Shared shape of image and audio blocks."""

    data: str
    mime_type: str | None = None
    annotations: dict | None = None
    meta: dict | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    type = "media"
    _mcpscript_block = True

    def bytes(self):
        """The decoded bytes (``data`` is base64 on the wire)."""
        return _b64decode(self.data)

    def to_dict(self) -> dict:
        """The block in MCP wire form (the original dict when it came from a server)."""
        if self.raw:
            return dict(self.raw)
        d = {"type": self.type, "data": self.data}
        _put(d, "mimeType", self.mime_type)
        _put(d, "annotations", self.annotations)
        _put(d, "_meta", self.meta)
        return d

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(mime_type={self.mime_type!r}, "
                f"data=<{len(self.data or '')} base64 chars>)")


@dataclass(repr=False)
class ImageContent(_MediaContent):
    """An ``image`` block: base64 ``data`` and its ``mime_type``; ``bytes()`` decodes it."""

    type = "image"


@dataclass(repr=False)
class AudioContent(_MediaContent):
    """An ``audio`` block: base64 ``data`` and its ``mime_type``; ``bytes()`` decodes it."""

    type = "audio"


@dataclass
class ResourceLink:
    """A ``resource_link`` block: a reference to a resource the client may read."""

    uri: str
    name: str | None = None
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    annotations: dict | None = None
    meta: dict | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    type = "resource_link"
    _mcpscript_block = True

    def to_dict(self) -> dict:
        """The block in MCP wire form (the original dict when it came from a server)."""
        if self.raw:
            return dict(self.raw)
        d = {"type": "resource_link", "uri": self.uri}
        _put(d, "name", self.name)
        _put(d, "title", self.title)
        _put(d, "description", self.description)
        _put(d, "mimeType", self.mime_type)
        _put(d, "size", self.size)
        _put(d, "annotations", self.annotations)
        _put(d, "_meta", self.meta)
        return d


@dataclass
class EmbeddedResource:
    """A ``resource`` block: the resource's contents, as ``text`` or as base64 ``blob``.

    ``bytes()`` gives the contents as bytes either way (text is UTF-8 encoded).
    """

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    annotations: dict | None = None
    meta: dict | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    type = "resource"
    _mcpscript_block = True

    def bytes(self):
        """The resource's contents as bytes (``blob`` decoded, or ``text`` UTF-8 encoded)."""
        if self.blob is not None:
            return _b64decode(self.blob)
        return (self.text or "").encode("utf-8")

    def to_dict(self) -> dict:
        """The block in MCP wire form (the original dict when it came from a server)."""
        if self.raw:
            return dict(self.raw)
        res = {"uri": self.uri}
        _put(res, "mimeType", self.mime_type)
        _put(res, "text", self.text)
        _put(res, "blob", self.blob)
        d = {"type": "resource", "resource": res}
        _put(d, "annotations", self.annotations)
        _put(d, "_meta", self.meta)
        return d


ContentBlock = (TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource)


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _dict(v: Any) -> dict | None:
    return v if isinstance(v, dict) else None


def parse_block(block: Any) -> Any:
    """One wire content block → its typed object; unknown or malformed blocks stay as they are."""
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    ann = _dict(block.get("annotations"))
    meta = _dict(block.get("_meta"))
    if kind == "text" and isinstance(block.get("text"), str):
        return TextContent(block["text"], ann, meta, block)
    if kind in ("image", "audio") and isinstance(block.get("data"), str):
        cls = ImageContent if kind == "image" else AudioContent
        return cls(block["data"], _str(block.get("mimeType")), ann, meta, block)
    if kind == "resource_link" and isinstance(block.get("uri"), str):
        size = block.get("size")
        return ResourceLink(block["uri"], _str(block.get("name")), _str(block.get("title")),
                            _str(block.get("description")), _str(block.get("mimeType")),
                            size if isinstance(size, int) else None, ann, meta, block)
    if kind == "resource" and isinstance(block.get("resource"), dict):
        res = block["resource"]
        if isinstance(res.get("uri"), str):
            return EmbeddedResource(res["uri"], _str(res.get("mimeType")), _str(res.get("text")),
                                    _str(res.get("blob")), ann, meta, block)
    return block


def parse_content(blocks: Any) -> list:
    """A result's ``content`` list → typed blocks (see :func:`parse_block`)."""
    if not isinstance(blocks, list):
        return []
    return [parse_block(b) for b in blocks]
