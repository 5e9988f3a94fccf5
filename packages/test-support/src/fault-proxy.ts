/**
 * A TCP proxy on 127.0.0.1 between an app and a fake upstream, for fault tests of what the fakes
 * cannot do themselves: refuse connections (the listener really closes, so clients get
 * ECONNREFUSED, and can reopen on the same port), cut the upstream's answer with a TCP reset after
 * some bytes, or drip it a few bytes at a time.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(new URL(fake.url).port);
 * // give the app `http://127.0.0.1:${proxy.port}/v1` as its upstream URL
 * proxy.setFault({ kind: "cut", afterBytes: 120 });
 * await proxy.refuse(); // ECONNREFUSED from now on
 * await proxy.accept(); // back on the same port
 * ```
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** What the proxy does to the upstream's answer on new connections. */
export type ProxyFault =
  /** Forward both ways unchanged. */
  | { kind: "pass" }
  /** Forward `afterBytes` bytes of the answer, then reset both connections (RST, not FIN). */
  | { kind: "cut"; afterBytes: number }
  /** Forward the answer `bytes` bytes every `intervalMs`. */
  | { kind: "drip"; bytes: number; intervalMs: number };

export interface FaultProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Applies to connections opened from now on. */
  setFault(fault: ProxyFault): void;
  /** Closes the listener and every connection: new connections are refused until `accept()`. */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts the proxy in front of `127.0.0.1:<targetPort>`, on a free port. */
export async function startFaultProxy(targetPort: number | string): Promise<FaultProxy> {
  let fault: ProxyFault = { kind: "pass" };
  let connections = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };

  const onConnection = (client: Socket) => {
    connections += 1;
    track(client);
    const current = fault;
    const upstream = createConnection({ host: "127.0.0.1", port: Number(targetPort) });
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);

    if (current.kind === "pass") {
      upstream.pipe(client);
      return;
    }
    if (current.kind === "cut") {
      let sent = 0;
      upstream.on("data", (chunk: Buffer) => {
        const room = current.afterBytes - sent;
        if (room > 0) client.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= current.afterBytes) {
          upstream.destroy();
          // Let the forwarded bytes leave before the reset.
          setImmediate(() => client.resetAndDestroy());
        }
      });
      upstream.on("end", () => client.end());
      return;
    }
    let pending = Buffer.alloc(0);
    let upstreamEnded = false;
    const timer = setInterval(() => {
      if (client.destroyed) {
        clearInterval(timer);
        timers.delete(timer);
        return;
      }
      if (pending.length > 0) {
        client.write(pending.subarray(0, current.bytes));
        pending = pending.subarray(current.bytes);
      }
      if (pending.length === 0 && upstreamEnded) {
        clearInterval(timer);
        timers.delete(timer);
        client.end();
      }
    }, current.intervalMs);
    timers.add(timer);
    upstream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
    });
    upstream.on("end", () => {
      upstreamEnded = true;
    });
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(0);

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    setFault(next) {
      fault = next;
    },
    refuse: stop,
    async accept() {
      if (server.listening) return;
      server = createServer(onConnection);
      await listen(port);
    },
    close: stop,
  };
}
