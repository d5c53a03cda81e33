// Node preload that keeps TCP servers on loopback.
//
// Usage: NODE_OPTIONS="--require /abs/path/to/loopback.cjs" node server.js
//
// Some reference MCP servers (server-everything's `sse` and `streamableHttp`
// modes) call `app.listen(PORT)` without a host, which binds every interface.
// This preload patches `net.Server.prototype.listen` (inherited by http/https
// servers, Express and Hono) so that a listen call that names no host binds
// 127.0.0.1 instead. Calls that name a host, listen on a pipe/unix socket
// path, or pass a handle/fd are left untouched.
//
// Handled signatures (see Node's net.Server#listen):
//   listen()                         -> listen(0, '127.0.0.1')
//   listen(cb)                       -> listen(0, '127.0.0.1', cb)
//   listen(port)                     -> listen(port, '127.0.0.1')
//   listen(port, cb)                 -> listen(port, '127.0.0.1', cb)
//   listen(port, backlog[, cb])      -> listen(port, '127.0.0.1', backlog[, cb])
//   listen(port, undefined|null|''[, ...]) -> listen(port, '127.0.0.1'[, ...])
//   listen(port, host, ...)          untouched
//   listen({ port, ... })            -> listen({ ...options, host: '127.0.0.1' })
//   listen({ host, ... })            untouched
//   listen({ path, ... })            untouched
//   listen({ fd } / { handle } / handle)  untouched
//   listen(path[, backlog][, cb])    untouched (a non-numeric string is a pipe)
// `port` may be a number, a numeric string (e.g. process.env.PORT), null or
// undefined (Node treats the last two as 0).
//
// Set MCPSCRIPT_LOOPBACK_HOST to bind another address (e.g. ::1), and
// MCPSCRIPT_LOOPBACK_DEBUG=1 to log each rewritten call to stderr.
'use strict';

const net = require('net');

const HOST = process.env.MCPSCRIPT_LOOPBACK_HOST || '127.0.0.1';
const DEBUG = !!process.env.MCPSCRIPT_LOOPBACK_DEBUG;
const PATCHED = Symbol.for('mcpscript.loopback.patched');

function isPortLike(v) {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return true;
  // Node treats a string that converts to a number as a port, anything else
  // as a pipe / unix socket path.
  if (typeof v === 'string') return v.trim() !== '' && !Number.isNaN(Number(v));
  return false;
}

function rewrite(args) {
  if (args.length === 0) return [0, HOST];
  const first = args[0];

  if (typeof first === 'function') return [0, HOST, ...args];

  if (first !== null && typeof first === 'object') {
    // Handle objects (a server/socket with ._handle) and {fd}/{handle}/{path}
    // options are left alone, as are options that already name a host.
    if (
      first._handle !== undefined ||
      first.fd !== undefined ||
      first.handle !== undefined ||
      (first.path !== undefined && first.path !== null) ||
      (first.host !== undefined && first.host !== null && first.host !== '')
    ) {
      return null;
    }
    return [{ ...first, host: HOST }, ...args.slice(1)];
  }

  if (!isPortLike(first)) return null; // a pipe path

  if (args.length === 1) return [first, HOST];
  const second = args[1];
  if (second === null || second === undefined || second === '') {
    return [first, HOST, ...args.slice(2)]; // no host after all
  }
  if (typeof second === 'string') return null; // explicit host
  // second is a backlog (number) or a callback
  return [first, HOST, ...args.slice(1)];
}

if (!net.Server.prototype[PATCHED]) {
  const originalListen = net.Server.prototype.listen;
  const patchedListen = function listen(...args) {
    const rewritten = rewrite(args);
    if (rewritten === null) return originalListen.apply(this, args);
    if (DEBUG) {
      const show = (a) => (typeof a === 'function' ? '[Function]' : JSON.stringify(a));
      process.stderr.write(
        `[loopback.cjs] listen(${args.map(show).join(', ')}) -> listen(${rewritten.map(show).join(', ')})\n`
      );
    }
    return originalListen.apply(this, rewritten);
  };
  net.Server.prototype.listen = patchedListen;
  Object.defineProperty(net.Server.prototype, PATCHED, { value: true });
}

module.exports = { rewrite, HOST };
