import { appDirOf } from "@dify-ext/test-support/app-process";
import { againstFakeOpenAI, fuzzAppSuite, MASK_AT_BOTH_POINTS } from "@dify-ext/test-support/app-suite";
import { INPUT_BLOCKED } from "@dify-ext/test-support/replies";
import { expect } from "vitest";

fuzzAppSuite({
  title: "moderation-openai under hostile input, against a fake OpenAI",
  name: "moderation-openai",
  appDir: appDirOf(import.meta.url),
  ...againstFakeOpenAI(MASK_AT_BOTH_POINTS),
  afterRun: (_report, fake) => {
    // Hostile texts really went upstream, and the fake never saw a malformed request from the engine.
    expect(fake.calls.every((call) => call.path === "/v1/moderations" && call.inputs.length > 0)).toBe(true);
  },
  // OpenAI judges whole texts: a flagged text cannot be masked, so the call is blocked.
  afterStorm: { params: { app_id: "a", inputs: { n: 1, note: "I am VIOLENT" }, query: "hi" }, reply: INPUT_BLOCKED },
});
