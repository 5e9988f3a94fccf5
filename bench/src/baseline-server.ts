/**
 * The baseline of the HTTP benchmark: the least a Node server must do to answer Dify. It reads the
 * body, parses the JSON, checks the bearer key and writes the same JSON reply the app under test
 * gives for that point. No framework, no validation, no logging.
 *
 * Env: `PORT`, `HOST`, `API_KEYS` (one key), `BASELINE_REPLIES` (JSON object: point → reply text).
 * Prints `{"msg":"listening","port":N}` like the apps, so the same launcher starts it.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const replies = new Map(Object.entries(JSON.parse(process.env.BASELINE_REPLIES ?? "{}") as Record<string, string>));
const expected = Buffer.from(`Bearer ${process.env.API_KEYS ?? ""}`);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const auth = Buffer.from(req.headers.authorization ?? "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      res
        .writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" })
        .end('{"error":"unauthorized"}');
      return;
    }
    let reply: string | undefined;
    try {
      reply = replies.get((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { point?: string }).point ?? "");
    } catch {
      // not JSON: answered below
    }
    if (reply === undefined) {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad request"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(reply) }).end(reply);
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "listening", port: (server.address() as AddressInfo).port }));
});
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
