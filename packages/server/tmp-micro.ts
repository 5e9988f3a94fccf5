import { createReceiveCore } from "./src/core.ts";
import { silentLogger } from "./src/logger.ts";
const core = createReceiveCore({ apiKeys: ["bench-key-123"], handlers: {}, logger: silentLogger });
const body = '{"point":"ping","params":{}}';
const headers: Record<string, string> = { authorization: "Bearer bench-key-123", "content-type": "application/json", "content-length": String(body.length) };
const req = { method: "POST", path: "/api/dify/receive", header: (n: string) => headers[n], readBody: async () => body };
for (let round = 0; round < 5; round++) {
  const N = 200_000;
  const t = performance.now();
  for (let i = 0; i < N; i++) await core.handle(req);
  console.log(`${(((performance.now() - t) * 1000) / N).toFixed(2)} µs per handle`);
}
