import {
  cleanVerdict,
  createModerationPolicy,
  type ModerationEngine,
  type PointPolicy,
} from "@dify-ext/moderation-engines";
import { silentLogger } from "@dify-ext/receive";
import { describe, expect, it } from "vitest";
import { LOGGED_TEXT_LIMIT, moderationHandlers } from "./handlers.ts";

/** Flags every text containing "bad", with no spans (blocking is all these tests need). */
const badWordEngine: ModerationEngine = {
  name: "w",
  async moderate(texts) {
    return texts.map((text) =>
      text.includes("bad") ? { flagged: true, findings: [], categories: [] } : cleanVerdict(),
    );
  },
};
const block: PointPolicy = { action: "block", presetResponse: "Blocked.", onEngineError: "open" };
const context = (logFields: Record<string, unknown>) => ({ requestId: "r", logger: silentLogger, logFields });

describe("moderationHandlers", () => {
  it("keeps end users' text out of the log unless asked", async () => {
    const policy = createModerationPolicy({ engines: [badWordEngine], input: block, output: block });
    const quiet = moderationHandlers(policy);
    const fields: Record<string, unknown> = {};
    await quiet["app.moderation.input"](
      { app_id: "app", inputs: { t: "a bad secret" }, query: "hello" },
      context(fields),
    );
    expect(JSON.stringify(fields)).not.toContain("secret");
    expect(fields).toMatchObject({ verdict: "block", engine: "w" });

    const verbose = moderationHandlers(policy, { logUserText: true });
    const debugFields: Record<string, unknown> = {};
    await verbose["app.moderation.output"]({ app_id: "app", text: "a bad secret" }, context(debugFields));
    expect(debugFields.userText).toEqual({ text: "a bad secret" });
  });

  it("clips end users' text in the log line to a size the operator chose, not the client", async () => {
    const policy = createModerationPolicy({ engines: [badWordEngine], input: block, output: block });
    const verbose = moderationHandlers(policy, { logUserText: true });
    const fields: Record<string, unknown> = {};
    const huge = "x".repeat(200_000);
    await verbose["app.moderation.input"](
      { app_id: "app", inputs: { a: huge, b: huge }, query: huge },
      context(fields),
    );
    expect(JSON.stringify(fields).length).toBeLessThan(3 * LOGGED_TEXT_LIMIT + 500);
    const output: Record<string, unknown> = {};
    await verbose["app.moderation.output"]({ app_id: "app", text: huge }, context(output));
    expect(JSON.stringify(output).length).toBeLessThan(LOGGED_TEXT_LIMIT + 500);
  });
});
