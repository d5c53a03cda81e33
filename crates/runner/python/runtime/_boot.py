"""Start-up of a script under ``mcpscript run`` (called by ``bootstrap.py``).

``python3 DIR/bootstrap.py SCRIPT ARGS...`` with ``MCPSCRIPT_BRIDGE=R,W``:

* ``sys.argv`` becomes ``[SCRIPT] + ARGS`` (ARGS verbatim);
* ``sys.path`` starts with DIR (so ``import runtime`` is this package even when the script's
  tree has its own ``runtime`` folder), then the script's directory, then the working directory
  (generated wrappers live in ``./servers/``);
* the script runs as ``__main__`` (``if __name__ == "__main__":`` works; tracebacks point at
  the script, without bootstrap frames);
* a missing script or a syntax error: a clear message on stderr, exit 2; an exception: the
  usual traceback, exit 1; ``SystemExit`` codes pass through; ``KeyboardInterrupt``: exit 130;
* the value returned by the coroutine given to the outermost ``asyncio.run(...)`` is sent as
  the run's result unless the script called ``set_result`` itself. ``asyncio`` is not imported
  for that: a meta-path hook wraps ``asyncio.run`` when the script first imports asyncio.

Kept small and free of heavy imports: it runs before every script.
"""

import os
import sys
from _thread import get_ident

EXIT_USAGE = 2
EXIT_EXCEPTION = 1
EXIT_INTERRUPTED = 130

_MAIN_THREAD = get_ident()
_run_depth = 0
_HIDDEN_FILES = set()  # code files whose frames are hidden from the script's tracebacks


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------- asyncio.run capture


def _capture(value) -> None:
    """Send ``value`` (returned from main() through asyncio.run) as the result."""
    from . import _bridge

    if _bridge.explicit_result:
        return
    from .errors import BridgeError
    from .mcp_client import _send_result

    try:
        _send_result(value)
    except BridgeError as e:
        if _bridge._configured or os.environ.get(_bridge.ENV):
            _err(f"mcpscript: warning: could not send main()'s return value as the result: {e}")


def _patch_asyncio(module) -> None:
    orig = getattr(module, "run", None)
    if orig is None or getattr(orig, "_mcpscript_wrapped", False):
        return

    def run(main, *args, **kwargs):
        global _run_depth
        outermost = _run_depth == 0 and get_ident() == _MAIN_THREAD
        _run_depth += 1
        try:
            value = orig(main, *args, **kwargs)
        finally:
            _run_depth -= 1
        if outermost and value is not None:
            _capture(value)
        return value

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(run, attr, getattr(orig, attr))
        except (AttributeError, TypeError):  # pragma: no cover
            pass
    run.__wrapped__ = orig
    run._mcpscript_wrapped = True
    module.run = run


class _PatchingLoader:
    """Delegates to asyncio's real loader, then wraps ``asyncio.run``."""

    def __init__(self, loader, spec):
        self._loader = loader
        self._spec = spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._spec.loader = self._loader
        try:
            module.__loader__ = self._loader
        except AttributeError:  # pragma: no cover
            pass
        self._loader.exec_module(module)
        _patch_asyncio(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _AsyncioHook:
    """A ``sys.meta_path`` finder that only acts on the first ``import asyncio``."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "asyncio":
            return None
        try:
            sys.meta_path.remove(cls)
        except ValueError:  # pragma: no cover
            pass
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            spec.loader = _PatchingLoader(loader, spec)
        return spec


def install_asyncio_hook() -> None:
    """Wrap ``asyncio.run`` now if asyncio is loaded, else when it first is."""
    module = sys.modules.get("asyncio")
    if module is not None:
        _patch_asyncio(module)
    elif _AsyncioHook not in sys.meta_path:
        sys.meta_path.insert(0, _AsyncioHook)


# ---------------------------------------------------------------------- errors


def _syntax_error(path: str, e: SyntaxError) -> None:
    kind = type(e).__name__
    lineno = e.lineno
    where = f", line {lineno}" if lineno else ""
    lines = [f"mcpscript: syntax error in {path}{where}:"]
    text = e.text
    if text:
        text = text.rstrip("\r\n")
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        lines.append("    " + stripped)
        if e.offset and e.offset > 0:
            col = max(e.offset - 1 - indent, 0)
            width = 1
            end = getattr(e, "end_offset", None)
            if end and getattr(e, "end_lineno", lineno) == lineno and end > e.offset:
                width = end - e.offset
            lines.append("    " + " " * col + "^" * width)
    lines.append(f"{kind}: {e.msg}")
    if isinstance(e, (IndentationError, TabError)):
        hint = "check the indentation of this line and of the block it belongs to"
    elif "never closed" in str(e.msg) or "unexpected EOF" in str(e.msg):
        hint = "a bracket or quote opened earlier is not closed"
    else:
        hint = "fix the line above; `python3 -m py_compile SCRIPT` checks a script without running it"
    lines.append(f"hint: {hint}")
    _err("\n".join(lines))


def _strip_frames(tb):
    """The traceback without bootstrap frames (tb_next is writable since Python 3.7)."""
    kept = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename not in _HIDDEN_FILES:
            kept.append(tb)
        tb = tb.tb_next
    if not kept:
        return None
    for a, b in zip(kept, kept[1:]):
        a.tb_next = b
    kept[-1].tb_next = None
    return kept[0]


def _report(exc: BaseException) -> None:
    seen = set()
    e = exc
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        try:
            e.__traceback__ = _strip_frames(e.__traceback__)
        except Exception:  # pragma: no cover
            pass
        stack.append(e.__cause__)
        stack.append(e.__context__)
    try:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    except Exception:  # pragma: no cover
        sys.__excepthook__(type(exc), exc, exc.__traceback__)


# ---------------------------------------------------------------------- main


def _read_source(path: str):
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        _err(f"mcpscript: script not found: {path}\n"
             f"hint: the path is resolved against the working directory {os.getcwd()}")
    except IsADirectoryError:
        _err(f"mcpscript: not a script: {path} is a directory\n"
             "hint: give the path of a .py file")
    except PermissionError:
        _err(f"mcpscript: cannot read the script {path}: permission denied\n"
             "hint: check the file's permissions")
    except OSError as e:
        _err(f"mcpscript: cannot read the script {path}: {e.strerror or e}")
    return None


def _setup_path(bootstrap_dir: str, script: str) -> None:
    entries = [bootstrap_dir]
    if script != "-":
        given = os.path.dirname(os.path.abspath(script))
        real = os.path.dirname(os.path.realpath(script))
        entries.append(real)
        entries.append(given)
    try:
        entries.append(os.getcwd())
    except OSError:  # pragma: no cover - cwd deleted
        pass
    rest = [p for p in sys.path if p not in entries and p != ""]
    unique = []
    for p in entries:
        if p not in unique:
            unique.append(p)
    sys.path[:] = unique + rest


def _take_bridge_env() -> None:
    """Move ``MCPSCRIPT_BRIDGE`` from the environment into the runtime, and keep the bridge
    descriptors out of child processes (they would hold the pipes open and could never use
    them: frames from two processes on one pipe would interleave)."""
    spec = os.environ.pop("MCPSCRIPT_BRIDGE", None)
    if spec is None:
        return
    from . import _bridge

    _bridge.configure(spec)
    try:
        for part in spec.split(","):
            os.set_inheritable(int(part), False)
    except (ValueError, OSError):
        pass  # reported on first use


def main(bootstrap_dir: str, bootstrap_file: str) -> None:
    """Run ``sys.argv[1]`` as ``__main__`` with ``sys.argv[2:]`` as its arguments."""
    _HIDDEN_FILES.add(bootstrap_file)
    _HIDDEN_FILES.add(__file__)
    if len(sys.argv) < 2:
        _err("usage: bootstrap.py SCRIPT [ARGS...]\n"
             "hint: scripts are run with `mcpscript run SCRIPT -- ARGS...`")
        sys.exit(EXIT_USAGE)
    script = sys.argv[1]
    args = sys.argv[2:]

    source = _read_source(script)
    if source is None:
        sys.exit(EXIT_USAGE)
    filename = "<stdin>" if script == "-" else os.path.abspath(script)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        _syntax_error(script, e)
        sys.exit(EXIT_USAGE)
    except ValueError as e:  # null bytes (Python < 3.12)
        _err(f"mcpscript: cannot compile {script}: {e}\nhint: is it a Python source file?")
        sys.exit(EXIT_USAGE)
    del source

    _take_bridge_env()
    sys.argv[:] = [script] + args
    _setup_path(bootstrap_dir, script)
    install_asyncio_hook()
    out = sys.stdout
    if out is not None and not getattr(out, "line_buffering", True):
        try:
            out.reconfigure(line_buffering=True)  # output streams live through the host's pipe
        except Exception:  # pragma: no cover
            pass

    import builtins
    from _frozen_importlib_external import SourceFileLoader

    module = type(sys)("__main__")
    ns = module.__dict__
    ns["__file__"] = filename
    ns["__builtins__"] = builtins
    ns["__cached__"] = None
    ns["__package__"] = None
    ns["__spec__"] = None
    ns["__loader__"] = SourceFileLoader("__main__", filename) if script != "-" else None
    sys.modules["__main__"] = module

    try:
        exec(code, ns)
    except SystemExit:
        raise
    except KeyboardInterrupt as e:
        _report(e)
        sys.exit(EXIT_INTERRUPTED)
    except BaseException as e:
        _report(e)
        sys.exit(EXIT_EXCEPTION)
