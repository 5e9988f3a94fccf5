import { createServer } from "node:http";
import { createNodeHandler } from "./src/node/node-adapter.ts";
import { silentLogger } from "./src/logger.ts";
const mode = process.argv[2] ?? "";
const H = {"content-type": "application/json; charset=utf-8","cache-control": "no-store","x-content-type-options": "nosniff","content-security-policy": "default-src 'none'; frame-ancestors 'none'"};
let n = 0;
const core = {
  points: [], receivePath: "/api/dify/receive",
  async handle(req: any) {
    const body = await req.readBody(1e6);
    JSON.parse(body);
    if (mode === "busy") { const t = performance.now(); while (performance.now() - t < 0.025) {} }
    if (mode === "uuid") return { status: 200, headers: { ...H, "x-request-id": crypto.randomUUID() }, body: '{"result":"pong"}' };
    if (mode === "ctr") return { status: 200, headers: {"content-type": "application/json; charset=utf-8","cache-control": "no-store","x-content-type-options": "nosniff","content-security-policy": "default-src 'none'; frame-ancestors 'none'", "x-request-id": "r" + (++n) }, body: '{"result":"pong"}' };
    if (mode === "lit") return { status: 200, headers: {"content-type": "application/json; charset=utf-8","cache-control": "no-store","x-content-type-options": "nosniff","content-security-policy": "default-src 'none'; frame-ancestors 'none'", "x-request-id": crypto.randomUUID()}, body: '{"result":"pong"}' };
    return { status: 200, headers: H, body: '{"result":"pong"}' };
  },
};
createServer(createNodeHandler(core as any, silentLogger)).listen(4559, "127.0.0.1");
process.on("SIGINT", () => process.exit(0));
