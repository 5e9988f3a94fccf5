import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, OMNI_CATEGORIES, startFakeOpenAI } from "./fake-openai.ts";

const KEY = "sk-fake-test-key-0123456789";

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function moderate(url: string, body: unknown, key = KEY): Promise<Response> {
  return fetch(`${url}/moderations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

describe("startFakeOpenAI", () => {
  it("scores inputs by marker words in OpenAI's response shape and records the call", async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await moderate(fake.url, { model: "omni-moderation-latest", input: ["hello", "I am VIOLENT"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      id: string;
      model: string;
      results: Array<{
        flagged: boolean;
        categories: Record<string, boolean>;
        category_scores: Record<string, number>;
      }>;
    };
    expect(body.model).toBe("omni-moderation-latest");
    expect(body.id).toMatch(/^modr-/);
    expect(body.results).toHaveLength(2);
    expect(Object.keys(body.results[0]!.categories).sort()).toEqual([...OMNI_CATEGORIES].sort());
    expect(body.results[0]!.flagged).toBe(false);
    expect(body.results[1]!.flagged).toBe(true);
    expect(body.results[1]!.categories.violence).toBe(true);
    expect(body.results[1]!.category_scores.violence).toBe(0.95);

    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call.inputs).toEqual(["hello", "I am VIOLENT"]);
    expect(call.authorizedWith(KEY)).toBe(true);
    expect(call.authorizedWith("sk-other")).toBe(false);
    // The key is kept out of anything a failing assertion would print.
    expect(JSON.stringify(call)).not.toContain(KEY);
    expect(call.headers.authorization).toBe("Bearer ***");
  });

  it("accepts a single string input", async () => {
    fake = await startFakeOpenAI();
    const res = await moderate(fake.url, { input: "BORDERLINE" });
    const body = (await res.json()) as {
      results: Array<{ flagged: boolean; category_scores: Record<string, number> }>;
    };
    expect(body.results).toHaveLength(1);
    expect(body.results[0]!.category_scores.violence).toBe(0.6);
    expect(body.results[0]!.flagged).toBe(false);
  });

  it("answers 401 like OpenAI for a wrong key, without echoing it whole", async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    const wrong = "sk-wrong-key-abcdefghijkl";
    const res = await moderate(fake.url, { input: "x" }, wrong);
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("invalid_api_key");
    expect(text).not.toContain(wrong);
  });

  it("rejects invalid requests with 400 and unknown paths with 404", async () => {
    fake = await startFakeOpenAI();
    expect((await moderate(fake.url, { model: "m" })).status).toBe(400);
    expect((await moderate(fake.url, { input: [1, 2] })).status).toBe(400);
    const notFound = await fetch(`${fake.url}/chat/completions`, { method: "POST", body: "{}" });
    expect(notFound.status).toBe(404);
  });

  it("plays a queue of scripted replies, then returns to the default", async () => {
    fake = await startFakeOpenAI();
    fake.script([
      { type: "error", status: 429, headers: { "retry-after": "7" } },
      { type: "text", body: "{not json" },
    ]);
    const first = await moderate(fake.url, { input: "a" });
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    const second = await moderate(fake.url, { input: "a" });
    expect(second.status).toBe(200);
    await expect(second.json()).rejects.toThrow();
    const third = await moderate(fake.url, { input: "a" });
    expect(((await third.json()) as { results: unknown[] }).results).toHaveLength(1);
    expect(fake.calls).toHaveLength(3);
  });

  it("uses a handler for every request until reset", async () => {
    fake = await startFakeOpenAI();
    fake.script((call) => ({ type: "json", body: { echoed: call.inputs } }));
    const res = await moderate(fake.url, { input: ["x", "y"] });
    expect(await res.json()).toEqual({ echoed: ["x", "y"] });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    const after = await moderate(fake.url, { input: "x" });
    expect(((await after.json()) as { results: unknown[] }).results).toHaveLength(1);
  });

  it("can reset the connection, drop it after the headers, and hang until closed", async () => {
    fake = await startFakeOpenAI();
    fake.script({ type: "reset" });
    await expect(moderate(fake.url, { input: "x" })).rejects.toThrow();

    fake.script({ type: "drop-after-headers" });
    const dropped = await moderate(fake.url, { input: "x" });
    expect(dropped.status).toBe(200);
    await expect(dropped.text()).rejects.toThrow();

    fake.script({ type: "hang" });
    const hanging = moderate(fake.url, { input: "x" }).then(
      () => "answered",
      () => "failed",
    );
    // Wait until the fake has the request, then closing it must free the client.
    while (fake.calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await fake.close();
    expect(await hanging).toBe("failed");
    fake = undefined;
  });
});
