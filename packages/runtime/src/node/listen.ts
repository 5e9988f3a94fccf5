import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { errorBody } from "@dify-ext/receive";
import type { Logger } from "@dify-ext/receive";
import { answerWithConnectionClose, type ReceiveApp } from "@dify-ext/receive/koa";

export interface ListenOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Longest wait for in-flight requests on shutdown before connections are cut. */
  shutdownTimeoutMs?: number;
  /** Stop on SIGTERM and SIGINT (default true; tests that embed a server turn it off). */
  handleSignals?: boolean;
  /** Log `{"msg":"listening","url":...}` once listening (default true; launchers wait for it). */
  announce?: boolean;
  /** Runs after the server closed, e.g. to stop file watchers. */
  onClose?: () => void | Promise<void>;
  /**
   * Most open connections; past it new ones are closed at once, with a warning (at most one a
   * second) and `onConnectionDropped`. Default: `defaultMaxConnections()`.
   */
  maxConnections?: number;
  /** Told about each connection refused past `maxConnections` (a metric under `runService`). */
  onConnectionDropped?: () => void;
  /** Time a client has to send its headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Time a client has to send its whole request (default 30 s). */
  requestTimeoutMs?: number;
}

/** Connections kept free below the process's file limit: log files, list files, upstream calls. */
const RESERVED_FILES = 128;

/**
 * The default cap on open connections: 4,096, or the process's open-file limit less what the
 * service needs for itself when that is lower (read from /proc on Linux), so an idle flood cannot
 * use up every file descriptor and starve real calls.
 */
export function defaultMaxConnections(): number {
  const fallback = 4_096;
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    if (!Number.isFinite(soft)) return fallback;
    return Math.max(16, Math.min(fallback, soft - RESERVED_FILES));
  } catch {
    return fallback;
  }
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Starts an app, logs where it listens (`{"msg":"listening","url":...}`), and shuts down
 * gracefully on SIGTERM/SIGINT: no new connections, in-flight requests finish and get their
 * answers, idle keep-alive connections are closed, and after `shutdownTimeoutMs` the rest are cut.
 */
export async function listen(app: ReceiveApp, options: ListenOptions): Promise<RunningServer> {
  const { logger } = options;
  const host = options.host ?? "0.0.0.0";
  // `app.listen`, with one option it cannot pass: no Host requirement. Dify always sends one, no
  // rule reads it, and a request without one should get a JSON answer like any other, not Node's
  // bare 400.
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server = createServer(
    {
      requireHostHeader: false,
      headersTimeout,
      requestTimeout,
      // Node enforces both timeouts only when it checks, every 30 s by default: a 10 s header
      // timeout then fired after up to 40 s. Check often enough that they act near their values
      // (within half a second, or a quarter of a short timeout): a check walks the open
      // connections, a few thousand at most, which costs far less than a millisecond.
      connectionsCheckingInterval: Math.max(50, Math.min(500, Math.floor(headersTimeout / 4))),
    },
    app.callback(),
  );
  server.maxConnections = options.maxConnections ?? defaultMaxConnections();
  let dropped = 0;
  let lastDropWarning = 0;
  server.on("drop", () => {
    options.onConnectionDropped?.();
    dropped += 1;
    const now = Date.now();
    if (now - lastDropWarning < 1_000) return;
    lastDropWarning = now;
    logger.warn(
      { maxConnections: server.maxConnections, dropped },
      "open connections at MAX_CONNECTIONS: new connections are closed (see docs/operations.md)",
    );
    dropped = 0;
  });
  // Requests Node cannot even parse (malformed HTTP, oversized headers, header timeouts) get a JSON
  // error like everything else instead of a bare status line.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (error.code === "ECONNRESET" && !socket.bytesWritten)) {
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const reason =
      status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request";
    const body = errorBody(
      status === 431 ? "headers_too_large" : status === 408 ? "request_timeout" : "bad_http",
      `malformed HTTP request (${reason.toLowerCase()})`,
    );
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // Closed for good once the answer is written, not half-closed: a client that never closes its
    // side (a flood of silent connections) would otherwise keep each socket, counted against
    // maxConnections, for as long as it likes.
    socket.destroySoon();
  });
  // Dify opens a new connection per call; keep-alive still helps proxies and load balancers.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
  const url = `http://${shownHost}:${port}`;
  if (options.announce ?? true) {
    logger.info({ url, port, host }, "listening");
    logger.flush?.();
  }

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      // Every answer from now on, in-flight ones included, says `Connection: close`.
      answerWithConnectionClose(app);
      const timer = setTimeout(() => {
        logger.warn({ timeoutMs: options.shutdownTimeoutMs ?? 10_000 }, "shutdown timed out; closing open connections");
        server.closeAllConnections();
      }, options.shutdownTimeoutMs ?? 10_000);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    }).then(async () => {
      await options.onClose?.();
      logger.info({}, "stopped");
    });
    return closed;
  }

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutting down");
      void close().then(() => {
        logger.flush?.();
        process.exit(0);
      });
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { server, url, port, close };
}
