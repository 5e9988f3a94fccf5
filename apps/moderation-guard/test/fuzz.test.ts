import { appDirOf } from "@dify-ext/test-support/app-process";
import { fuzzAppSuite, MASK_AT_BOTH_POINTS } from "@dify-ext/test-support/app-suite";
import { INPUT_BLOCKED } from "@dify-ext/test-support/replies";
import { startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { expect } from "vitest";

fuzzAppSuite({
  title: "moderation-guard under hostile input, against a fake guard model",
  name: "moderation-guard",
  appDir: appDirOf(import.meta.url),
  upstream: () => startFakeGuard(),
  env: (fake) => ({
    ...MASK_AT_BOTH_POINTS,
    GUARD_BASE_URL: fake.url,
    GUARD_MODEL: "Qwen/Qwen3Guard-Gen-4B",
    GUARD_TIMEOUT_MS: "2000",
    GUARD_WINDOW_CHARS: "2000",
    GUARD_WINDOW_OVERLAP_CHARS: "200",
  }),
  upstreamRequests: (fake) => fake.calls.length,
  afterRun: (_report, fake) => {
    // Hostile texts really went to the model, and the fake never saw a request it had to refuse.
    expect(fake.calls.every((call) => call.path === "/v1/chat/completions" && call.judged.length > 0)).toBe(true);
    expect(fake.calls.every((call) => call.judged.length <= 2000)).toBe(true);
    const roles = new Set(fake.calls.map((call) => call.messages.map((m) => m.role).join(",")));
    expect([...roles].sort()).toEqual(["user", "user,assistant"]);
  },
  // Guard models judge whole texts: a flagged text cannot be masked, so the call is blocked.
  afterStorm: { params: { app_id: "a", inputs: { n: 1, note: "I am VIOLENT" }, query: "hi" }, reply: INPUT_BLOCKED },
});
