import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A server listening on a free loopback port, and how to stop it with every connection. */
export interface LoopbackServer {
  port: number;
  /** Stops listening and destroys every open connection (hanging requests included). */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 on a free port, keeping track of its connections so that a
 * fake upstream can be closed at once even while it holds requests open on purpose.
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
