import { afterEach, describe, expect, it } from "vitest";
import { type FakeGuard, fakeGuardVerdict, startFakeGuard } from "./fake-guard.ts";

let fake: FakeGuard | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function chat(url: string, body: unknown, key?: string): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function contentOf(response: Response): Promise<string | null> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { object: string; choices: Array<{ message: { content: string | null } }> };
  expect(body.object).toBe("chat.completion");
  return body.choices[0]!.message.content;
}

describe("startFakeGuard", () => {
  it("answers each family in its own format, judging the last message", async () => {
    fake = await startFakeGuard();
    const user = (content: string) => [{ role: "user", content }];
    const reply = (content: string) => [
      { role: "user", content: "question" },
      { role: "assistant", content },
    ];
    expect(await contentOf(await chat(fake.url, { model: "llama-guard3:8b", messages: user("hello") }))).toBe("safe");
    expect(
      await contentOf(await chat(fake.url, { model: "llama-guard3:8b", messages: user("VIOLENT and HATEFUL") })),
    ).toBe("unsafe\nS1,S10");
    expect(
      await contentOf(await chat(fake.url, { model: "Qwen/Qwen3Guard-Gen-4B", messages: reply("I REFUSE. VIOLENT") })),
    ).toBe("Safety: Unsafe\nCategories: Violent\nRefusal: Yes");
    expect(
      await contentOf(await chat(fake.url, { model: "Qwen/Qwen3Guard-Gen-4B", messages: user("POLITICAL") })),
    ).toBe("Safety: Controversial\nCategories: Politically Sensitive Topics");
    expect(await contentOf(await chat(fake.url, { model: "shieldgemma:2b", messages: user("VIOLENT") }))).toBe("Yes");
    const guideline = { guideline: '* "No Hate Speech": …' };
    expect(
      await contentOf(
        await chat(fake.url, { model: "shieldgemma:2b", messages: user("VIOLENT"), chat_template_kwargs: guideline }),
      ),
    ).toBe("No");
    expect(fake.calls.map((call) => call.point)).toEqual(["input", "input", "output", "input", "input", "input"]);
  });

  it("refuses what vLLM and the templates refuse: roles out of order, a wrong key, an unknown model", async () => {
    fake = await startFakeGuard({ apiKey: "guard-key-123", model: "llama-guard3:8b" });
    const bad = await chat(
      fake.url,
      { model: "llama-guard3:8b", messages: [{ role: "assistant", content: "x" }] },
      "guard-key-123",
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/alternate/);
    expect(
      (await chat(fake.url, { model: "llama-guard3:8b", messages: [{ role: "user", content: "x" }] })).status,
    ).toBe(401);
    expect(fake.calls[1]!.authorization).toBeUndefined();
    const unknown = await chat(
      fake.url,
      { model: "other", messages: [{ role: "user", content: "x" }] },
      "guard-key-123",
    );
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(fake.calls)).not.toContain("guard-key-123");
  });

  it("answers scripted contents, refusals and failures, then its default again", async () => {
    fake = await startFakeGuard();
    fake.script([
      { type: "content", content: "uns", finishReason: "length" },
      { type: "refusal", refusal: "I can't help with that." },
      { type: "error", status: 503 },
    ]);
    const body = { model: "llama-guard3:1b", messages: [{ role: "user", content: "hi" }] };
    expect(await contentOf(await chat(fake.url, body))).toBe("uns");
    expect(await contentOf(await chat(fake.url, body))).toBeNull();
    expect((await chat(fake.url, body)).status).toBe(503);
    expect(await contentOf(await chat(fake.url, body))).toBe("safe");
  });

  it("gives the same verdicts as a function", () => {
    expect(fakeGuardVerdict("qwen3guard", "JAILBREAK", "output")).toBe("Safety: Safe\nCategories: None\nRefusal: No");
    expect(fakeGuardVerdict("qwen3guard", "JAILBREAK", "input")).toBe("Safety: Unsafe\nCategories: Jailbreak");
  });
});
