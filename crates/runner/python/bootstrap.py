"""mcpscript's entry point for scripts: ``python3 DIR/bootstrap.py SCRIPT [ARGS...]``.

The host (``mcpscript run``) writes this file and the ``runtime`` package into DIR and starts
it with ``MCPSCRIPT_BRIDGE=R,W`` naming the bridge descriptors. The work is done by
``runtime._boot`` (a module, so its byte code is cached); see there for the details.
"""

import sys


def _start():
    if sys.version_info < (3, 8):
        sys.stderr.write(
            "mcpscript: scripts need Python 3.8 or newer; %s is Python %d.%d\n"
            "hint: point MCPSCRIPT_PYTHON at a newer interpreter (or put one first on PATH "
            "as python3)\n" % (sys.executable, sys.version_info[0], sys.version_info[1]))
        sys.exit(2)
    from os.path import abspath, dirname

    here = dirname(abspath(__file__))
    path = sys.path
    if not path or path[0] != here:
        while here in path:
            path.remove(here)
        path.insert(0, here)
    from runtime._boot import main

    main(here, abspath(__file__))


if __name__ == "__main__":
    _start()
