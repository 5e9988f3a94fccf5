import { describe, expect, it } from "vitest";
import { createWorkerModule } from "./worker.ts";

describe("the Worker module", () => {
  it("refuses SHARED_STATE_URL with a 500 naming it: a Worker cannot reach Valkey or Redis", async () => {
    let built = 0;
    const worker = createWorkerModule("test-app", () => {
      built += 1;
      return async () => new Response("{}");
    });
    const response = await worker.fetch(new Request("https://w.example/api/dify/receive"), {
      API_KEYS: "worker-key-1",
      SHARED_STATE_URL: "redis://:secret-pw@valkey:6379",
    });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toContain("SHARED_STATE_URL: not supported on Workers");
    expect(body).not.toContain("secret-pw");
    expect(built).toBe(0);
    const ok = await worker.fetch(new Request("https://w.example/api/dify/receive"), { API_KEYS: "worker-key-1" });
    expect(ok.status).toBe(200);
  });
});
