"""The channel to the mcpscript host (see docs/bridge.md).

Newline-delimited JSON frames over two inherited file descriptors named by the environment
variable ``MCPSCRIPT_BRIDGE=R,W``: requests are written to ``W``, responses are read from ``R``.

* Requests carry increasing integer ids; each frame is one locked write, so frames from several
  threads never interleave.
* Async requests resolve asyncio futures. A request made while nothing else is in flight is
  written at once; the others made in the same loop turn are queued and leave in one write. The read fd is watched with ``loop.add_reader`` on
  every loop that makes a request (set non-blocking then), so ``asyncio.gather`` of N calls puts
  N requests in flight at once, with no helper thread.
* Sync requests read the fd directly. Whoever reads ("the reader", one at a time) delivers every
  frame it finds to its owner: its own slot, a sync waiter in another thread (woken), or an
  asyncio future (set directly on its own loop's thread, else via ``call_soon_threadsafe``). A
  sync call made inside a running loop therefore still completes the loop's pending calls.
* EOF, EPIPE or a bad descriptor ends the bridge: every pending and later request fails with
  :class:`BridgeError` (``"the run has ended"``).

Nothing here imports :mod:`asyncio`; it is looked up the first time an async request is made.
"""

from __future__ import annotations

import os
import sys
from _thread import allocate_lock
from _weakref import ref as _weakref
from itertools import count as _count

from . import _json
from .errors import BridgeError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

__all__ = ["Bridge", "get_bridge", "configure", "RUN_ENDED", "ENV"]

ENV = "MCPSCRIPT_BRIDGE"
RUN_ENDED = "the run has ended"
NOT_UNDER_MCPSCRIPT = (
    "not running under `mcpscript run` (the environment has no MCPSCRIPT_BRIDGE)\n"
    "hint: run the script with `mcpscript run SCRIPT -- ARGS...`; tools can only be called "
    "through mcpscript"
)
FORKED = (
    "the bridge is not available in a forked child process\n"
    "hint: call tools from the script's main process (threads and asyncio are fine)"
)

_READ_SIZE = 65536


class _Slot:
    """A sync request waiting for its response."""

    __slots__ = ("msg", "wake")

    def __init__(self) -> None:
        self.msg = None
        self.wake = None


def _ended(message: str) -> dict:
    return {"ok": False, "error": {"type": "BridgeError", "message": message}}


def _resolve(fut, msg) -> None:
    if not fut.done():
        fut.set_result(msg)


class Bridge:
    """One bridge channel: ``rfd`` carries responses in, ``wfd`` carries requests out.

    Tests build one over ``os.pipe()`` pairs; scripts get the process-wide one from
    :func:`get_bridge`.
    """

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd = rfd
        self.wfd = wfd
        self._ids = _count(1)
        self._pending: dict = {}
        self._wlock = allocate_lock()
        self._mu = allocate_lock()  # guards _reading, _sleepers and sync-slot delivery
        self._reading = False
        self._sleepers: list = []
        self._parts: list = []
        self._closed: str | None = None
        self._nonblocking = False
        self._poller = None
        self._loops: dict = {}
        self._get_running_loop = None
        # Async requests made in one event-loop turn (asyncio.gather) leave in one write.
        self._olock = allocate_lock()
        self._outbox: list = []
        self._flush_loops: set = set()  # loops with a flush scheduled (by id)

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> str | None:
        """Why the bridge ended (``"the run has ended"``, ...), or ``None`` while it is open."""
        return self._closed

    def close(self, reason: str = RUN_ENDED) -> None:
        """End the bridge: every pending and later request fails with ``BridgeError(reason)``."""
        if self._closed is None:
            self._closed = reason
        pending = self._pending
        while pending:
            try:
                _, entry = pending.popitem()
            except KeyError:  # pragma: no cover - emptied by another thread
                break
            self._deliver(entry, _ended(self._closed))

    # ------------------------------------------------------------------ writing

    def _encode(self, frame: dict, default: Callable | None) -> bytes:
        try:
            # UTF-8 encoding fails on lone surrogates (e.g. undecodable file names): a clean
            # error here rather than a frame the host cannot parse.
            return (_json.dumps(frame, default, False) + "\n").encode("utf-8")
        except (TypeError, ValueError, RecursionError) as e:
            what = frame.get("op", "request")
            if "server" in frame:
                what += f" {frame['server']}" + (f".{frame['tool']}" if "tool" in frame else "")
            cls = ValueError if isinstance(e, UnicodeError) else type(e)
            raise cls(f"cannot send {what}: {e}") from None

    def _write(self, data: bytes) -> None:
        with self._wlock:
            try:
                n = os.write(self.wfd, data)
                if n < len(data):
                    self._write_rest(memoryview(data), n)
            except BlockingIOError:
                self._write_rest(memoryview(data), 0)
            except BrokenPipeError:
                self.close(RUN_ENDED)
                raise BridgeError(RUN_ENDED) from None
            except OSError as e:
                self.close(RUN_ENDED)
                raise BridgeError(f"{RUN_ENDED} (cannot write to the bridge: {e})") from None

    def _write_rest(self, view: memoryview, done: int) -> None:
        import select

        total = len(view)
        poller = None
        while done < total:
            try:
                done += os.write(self.wfd, view[done:])
            except BlockingIOError:  # a non-blocking (e.g. shared socket) descriptor
                if poller is None:
                    poller = select.poll()
                    poller.register(self.wfd, select.POLLOUT)
                poller.poll()

    def notify(self, frame: dict) -> None:
        """Send a notification (a frame without ``id``; no response)."""
        if self._closed is not None:
            raise BridgeError(self._closed)
        self._write(self._encode(frame, None))

    # ------------------------------------------------------------------ async requests

    def _init_async(self):
        from asyncio import events

        self._get_running_loop = events._get_running_loop
        return self._get_running_loop

    def _attach(self, loop) -> None:
        if not self._nonblocking:
            os.set_blocking(self.rfd, False)
            self._nonblocking = True
        for key, r in list(self._loops.items()):
            if r() is None:
                del self._loops[key]
        loop.add_reader(self.rfd, self._on_readable, loop)
        self._loops[id(loop)] = _weakref(loop)

    def _detach(self, loop) -> None:
        self._loops.pop(id(loop), None)
        try:
            loop.remove_reader(self.rfd)
        except Exception:  # pragma: no cover - loop already closed
            pass

    async def request(self, frame: dict, default: Callable | None = None) -> dict:
        """Send ``frame`` (a dict with ``op``) and await the response frame.

        Returns the whole response (``{"id", "ok", "result"|"error"}``); the caller unpacks it.
        ``default`` converts values JSON cannot encode (as in ``json.dumps``).
        """
        grl = self._get_running_loop or self._init_async()
        loop = grl()
        if loop is None:
            raise RuntimeError("no running event loop (await this inside asyncio.run(...))")
        if self._closed is not None:
            raise BridgeError(self._closed)
        r = self._loops.get(id(loop))
        if r is None or r() is not loop:
            self._attach(loop)
        rid = next(self._ids)
        frame["id"] = rid
        data = self._encode(frame, default)
        fut = loop.create_future()
        idle = not self._pending and not self._outbox
        self._pending[rid] = fut
        try:
            if idle:
                # Nothing else in flight (a sequential call, or the first of a gather): send
                # now rather than one loop turn later.
                self._write(data)
            else:
                self._queue(loop, data)
            return await fut
        finally:
            self._pending.pop(rid, None)
            if fut.cancelled() and self._closed is None:
                # The caller gave up (asyncio.wait_for, task.cancel()): tell the host, so the
                # call stops holding a server slot. Queued behind the request itself.
                try:
                    self._queue(loop, self._encode({"op": "cancel", "target": rid}, None))
                except Exception:  # the loop is closing: the run is ending anyway
                    pass

    def _queue(self, loop, data: bytes) -> None:
        """Queue a frame; each loop with frames queued has one flush scheduled on itself, so a
        loop that is busy (or blocked) never holds back another loop's frames."""
        with self._olock:
            self._outbox.append(data)
            if id(loop) in self._flush_loops:
                return
            self._flush_loops.add(id(loop))
        loop.call_soon(self._flush, id(loop))

    def _flush(self, loop_id: int | None = None) -> None:
        with self._olock:
            data = b"".join(self._outbox)
            self._outbox.clear()
            self._flush_loops.discard(loop_id)
        if data:
            try:
                self._write(data)
            except BridgeError:
                return  # close() has failed every pending request
        if self._closed is not None:  # ended while frames were queued
            self.close(self._closed)

    def _on_readable(self, loop) -> None:
        if self._closed is not None:
            self.close(self._closed)
            self._detach(loop)
            return
        mu = self._mu
        mu.acquire()
        if self._reading:  # a sync reader in another thread is on it
            mu.release()
            return
        self._reading = True
        mu.release()
        try:
            self._drain()
        finally:
            self._end_reading()
        if self._closed is not None:
            self._detach(loop)

    def _drain(self) -> None:
        """Read what is there without blocking (the fd is non-blocking) and dispatch it."""
        fd = self.rfd
        while True:
            try:
                chunk = os.read(fd, _READ_SIZE)
            except BlockingIOError:
                return
            except OSError as e:
                self.close(f"{RUN_ENDED} (cannot read from the bridge: {e})")
                return
            if not chunk:
                self.close(RUN_ENDED)
                return
            self._feed(chunk)
            if len(chunk) < _READ_SIZE:
                return

    # ------------------------------------------------------------------ sync requests

    def request_sync(self, frame: dict, default: Callable | None = None) -> dict:
        """Send ``frame`` and block this thread until its response arrives; returns it.

        Safe from any thread, and from inside a running event loop: while this thread reads,
        it also delivers the responses of other pending (async or sync) requests.
        """
        if self._closed is not None:
            raise BridgeError(self._closed)
        rid = next(self._ids)
        frame["id"] = rid
        data = self._encode(frame, default)
        slot = _Slot()
        self._pending[rid] = slot
        try:
            # Async frames queued in this loop turn go first, so order is kept (a sync call
            # inside a running loop must not overtake them).
            with self._olock:
                queued = b"".join(self._outbox)
                self._outbox.clear()
            self._write(queued + data if queued else data)
        except BaseException:
            self._pending.pop(rid, None)
            raise
        try:
            return self._wait(slot)
        finally:
            self._pending.pop(rid, None)

    def _wait(self, slot: _Slot) -> dict:
        mu = self._mu
        while True:
            mu.acquire()
            if slot.msg is not None:
                mu.release()
                return slot.msg
            if self._closed is not None:
                mu.release()
                return _ended(self._closed)
            if not self._reading:
                self._reading = True
                mu.release()
                try:
                    self._read_until(slot)
                finally:
                    self._end_reading()
                continue
            # Another thread is reading: park until it delivers to us or hands reading over.
            wake = slot.wake = allocate_lock()
            wake.acquire()
            self._sleepers.append(slot)
            mu.release()
            wake.acquire()
            slot.wake = None

    def _end_reading(self) -> None:
        mu = self._mu
        mu.acquire()
        self._reading = False
        sleepers = self._sleepers
        if sleepers:
            self._sleepers = []
            for s in sleepers:  # each re-checks; one of them takes over reading
                s.wake.release()
        mu.release()

    def _read_until(self, slot: _Slot) -> None:
        fd = self.rfd
        while slot.msg is None and self._closed is None:
            try:
                if self._nonblocking:
                    poller = self._poller
                    if poller is None:
                        import select

                        poller = self._poller = select.poll()
                        poller.register(fd, select.POLLIN)
                    poller.poll()
                chunk = os.read(fd, _READ_SIZE)
            except BlockingIOError:
                continue
            except OSError as e:
                self.close(f"{RUN_ENDED} (cannot read from the bridge: {e})")
                return
            if not chunk:
                self.close(RUN_ENDED)
                return
            self._feed(chunk)

    # ------------------------------------------------------------------ frames in

    def _feed(self, chunk: bytes) -> None:
        nl = chunk.find(b"\n")
        if nl < 0:
            self._parts.append(chunk)
            return
        parts = self._parts
        if parts:
            parts.append(chunk[:nl])
            self._parts = []
            line = b"".join(parts)
        elif nl == len(chunk) - 1:
            line = chunk  # the parser ignores the trailing newline: no copy
        else:
            line = chunk[:nl]
        self._dispatch(line)
        start = nl + 1
        end = len(chunk)
        while start < end:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                self._parts.append(chunk[start:])
                return
            self._dispatch(chunk[start:nl])
            start = nl + 1

    def _dispatch(self, line: bytes) -> None:
        try:
            msg = _json.loads(line)
        except ValueError:
            if line.strip():
                _warn(f"ignoring an unreadable frame from the host ({len(line)} bytes)")
            return
        if type(msg) is not dict:
            return
        rid = msg.get("id")
        if type(rid) is not int:
            return  # not a response (nothing else is defined yet)
        entry = self._pending.pop(rid, None)
        if entry is not None:
            self._deliver(entry, msg)

    def _deliver(self, entry, msg: dict) -> None:
        if type(entry) is _Slot:
            mu = self._mu
            mu.acquire()
            entry.msg = msg
            if entry.wake is not None:
                try:
                    self._sleepers.remove(entry)
                except ValueError:
                    pass
                else:
                    entry.wake.release()
            mu.release()
            return
        loop = entry.get_loop()
        grl = self._get_running_loop
        if grl is not None and loop is grl():
            if not entry.done():
                entry.set_result(msg)
        else:
            try:
                loop.call_soon_threadsafe(_resolve, entry, msg)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"mcpscript runtime: {message}\n")
    except Exception:  # pragma: no cover
        pass


# ---------------------------------------------------------------------- the process's bridge

_bridge: Bridge | None = None
_configured: str | None = None
_forked = False
_create_lock = allocate_lock()

#: True once the script called ``set_result`` itself (then a ``main()`` return value is not
#: sent as the result).
explicit_result = False


def configure(spec: str | None) -> None:
    """Use the bridge ``spec`` (``"R,W"``) instead of the environment (the bootstrap calls this
    after taking ``MCPSCRIPT_BRIDGE`` out of the environment, so child processes do not see
    descriptor numbers that mean nothing to them)."""
    global _configured
    _configured = spec


def _after_fork_in_child() -> None:
    global _bridge, _forked
    _bridge = None
    _forked = True


def _parse(spec: str) -> tuple:
    try:
        r, w = (int(x) for x in spec.split(","))
    except ValueError:
        raise BridgeError(f"bad {ENV} value {spec!r} (expected \"R,W\", two descriptor numbers)")
    import stat

    for fd in {r, w}:
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            raise BridgeError(
                f"the bridge descriptor {fd} is not open in this process\n"
                "hint: tools can be called from the script's own process, not from processes "
                "it starts") from None
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            raise BridgeError(f"descriptor {fd} is not a bridge pipe or socket")
    return r, w


def get_bridge() -> Bridge:
    """The process's bridge, created on first use from the bootstrap's configuration or the
    environment; raises :class:`BridgeError` when there is none."""
    b = _bridge
    if b is not None:
        return b
    return _create()


def _create() -> Bridge:
    global _bridge
    with _create_lock:
        if _bridge is not None:
            return _bridge
        if _forked:
            raise BridgeError(FORKED)
        spec = _configured if _configured is not None else os.environ.get(ENV)
        if not spec:
            raise BridgeError(NOT_UNDER_MCPSCRIPT)
        r, w = _parse(spec)
        if r != w:
            os.set_blocking(w, True)
        b = Bridge(r, w)
        if hasattr(os, "register_at_fork") and not getattr(_create, "_fork_hook", False):
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _create._fork_hook = True  # type: ignore[attr-defined]
        _bridge = b
        return b


def _reset_for_tests(bridge: Bridge | None = None) -> None:
    """Install ``bridge`` as the process's bridge (tests only)."""
    global _bridge, _forked, explicit_result
    _bridge = bridge
    _forked = False
    explicit_result = False
