import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLAYGROUND_PATHS } from "@dify-ext/playground/paths";
import { createServiceMetrics } from "@dify-ext/runtime/node";
import { difyCall } from "@dify-ext/test-support/app-process";
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from "@dify-ext/test-support/fake-webhook-receiver";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createModerationApp, type ModerationApp } from "../app.ts";
import {
  ConfigError,
  type ModerationConfig,
  readCommonSettings,
  readPolicySettings,
  readWebhookSettings,
} from "../config/index.ts";
import { keywords } from "../engines/keywords.ts";

/** How long a test waits for what the sender does on its own (generous: the machine may be busy). */
const WAIT = { timeout: 20_000, interval: 10 };
const KEY = "webhook-test-key-0815";
const SECRET = "whsec-app-test-0123456789";
const TEAM_SECRET = "whsec-team-a-0123456789";

let dir: string;
let lines: RecordedLine[];
let main: FakeWebhookReceiver;
let team: FakeWebhookReceiver;
const running: Array<{ server: Server; built: ModerationApp }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dify-ext-webhooks-"));
  lines = [];
  main = await startFakeWebhookReceiver();
  team = await startFakeWebhookReceiver();
  await writeFile(join(dir, "hate.txt"), "# category: hate\nslur\n");
  await writeFile(join(dir, "profanity.txt"), "# category: profanity\ndarn\n");
});

afterEach(async () => {
  for (const { server, built } of running.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
    await built.close();
  }
  await main.close();
  await team.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve(policy: string | undefined, env: Record<string, string> = {}) {
  const file = join(dir, "policy.yaml");
  if (policy !== undefined) await writeFile(file, policy);
  const values: Record<string, string> = {
    API_KEYS: KEY,
    KEYWORDS_WATCH: "false",
    KEYWORDS_FILES: `${join(dir, "hate.txt")},${join(dir, "profanity.txt")}`,
    MODERATION_WEBHOOK_URL: main.url,
    MODERATION_WEBHOOK_SECRET: SECRET,
    MODERATION_WEBHOOK_SECRET_TEAM_A: TEAM_SECRET,
    MODERATION_WEBHOOK_FLUSH_MS: "20",
    ...env,
  };
  const config: ModerationConfig = {
    common: readCommonSettings(values),
    port: 0,
    policy: readPolicySettings(values),
    engines: { keywords: keywords.read(values) },
    webhook: readWebhookSettings(values),
    ...(policy !== undefined && { policyFile: file }),
  };
  const metrics = createServiceMetrics({ service: "moderation-test" });
  const built = await createModerationApp({
    config,
    logger: recordingLogger(lines),
    metrics,
    watchPolicy: false,
    service: "moderation-test",
  });
  const server = createServer(built.app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  running.push({ server, built });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/dify/receive`;
  const input = async (appId: string, query: string, inputs: Record<string, unknown> = {}) => {
    const response = await difyCall(url, KEY, "app.moderation.input", { app_id: appId, inputs, query });
    return { status: response.status, requestId: response.headers.get("x-request-id"), body: await response.json() };
  };
  return { built, input, metrics, base: url.slice(0, -"/api/dify/receive".length) };
}

const POLICY = `
default:
  input:
    categories:
      profanity: shadow
apps:
  team-a-app:
    webhook: { url: "TEAM_URL", secret: team_a }
  quiet-app:
    webhook: false
`;

describe("verdict webhooks from a moderation app", () => {
  it("send one event per flagged or shadow verdict, with the audit line's fields, to the app's receiver", async () => {
    const { input } = await serve(POLICY.replace("TEAM_URL", team.url));
    const blocked = await input("some-app", "a slur here");
    expect(blocked.body).toMatchObject({ flagged: true, action: "direct_output" });
    const shadow = await input("some-app", "darn it");
    expect(shadow.body).toEqual({ flagged: false, action: "direct_output" });
    expect((await input("some-app", "all fine")).body).toEqual({ flagged: false, action: "direct_output" });
    await input("team-a-app", "a slur");
    await input("quiet-app", "a slur");

    await main.waitForDeliveries(1);
    await vi.waitFor(() => expect(main.acceptedEvents().length).toBe(2), WAIT);
    const events = main.acceptedEvents();
    expect(events).toEqual([
      expect.objectContaining({
        type: "moderation.verdict",
        service: "moderation-test",
        reqId: blocked.requestId,
        appId: "some-app",
        app: "other",
        point: "input",
        verdict: "block",
        mode: "enforce",
        engines: ["keywords"],
        category: "hate",
        categories: ["hate"],
        terms: ["slur"],
        rules: ["hate"],
        policyVersion: expect.stringMatching(/^sha256:/),
      }),
      expect.objectContaining({ reqId: shadow.requestId, verdict: "shadow", category: "profanity" }),
    ]);
    // Each event is the audit line's fields: the same request id, verdict and categories.
    const audit = lines.find((line) => line.audit === "verdict" && line.verdict === "block");
    expect(audit).toMatchObject({ appId: "some-app", categories: ["hate"], terms: ["slur"] });
    expect(events.some((event) => "userText" in event)).toBe(false);

    await team.waitForDeliveries(1);
    expect(team.acceptedEvents()).toEqual([expect.objectContaining({ appId: "team-a-app", app: "team-a-app" })]);
    expect(team.deliveries[0]!.headers["dify-ext-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it("answer every call at once while the receiver hangs, and change no verdict", async () => {
    main.fallback = { hang: true };
    const { input, metrics } = await serve(undefined, { MODERATION_WEBHOOK_BATCH_MAX: "1" });
    await input("some-app", "first slur");
    await main.waitForDeliveries(1);
    // The receiver holds the first POST open and has answered nothing: every call is still answered.
    for (let n = 0; n < 20; n++) {
      const reply = await input("some-app", `slur number ${n}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ flagged: true, action: "direct_output" });
    }
    expect(main.deliveries).toHaveLength(1);
    expect(main.acceptedEvents()).toEqual([]);
    const text = (await metrics.render()).body;
    expect(text).toMatch(
      /dify_ext_webhook_queue_events\{receiver="127\.0\.0\.1:\d+#[0-9a-f]{6}",service="moderation-test"\} 20/,
    );
    expect(text).toMatch(
      /dify_ext_category_verdicts_total\{category="hate",verdict="block",point="app.moderation.input"/,
    );
    main.fallback = { status: 200 };
    main.release();
  });

  it("are not sent for the playground's calls, whose audit lines say where they came from", async () => {
    const { input, base } = await serve(undefined, { PLAYGROUND: "true" });
    const explained = await fetch(`${base}${PLAYGROUND_PATHS.explain}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        point: "app.moderation.input",
        params: { app_id: "some-app", inputs: {}, query: "a slur" },
      }),
    });
    expect(explained.status).toBe(200);
    expect(((await explained.json()) as { verdict: string }).verdict).toBe("block");
    const real = await input("some-app", "a real slur");
    await vi.waitFor(() => expect(main.acceptedEvents().length).toBe(1), WAIT);
    // The one event is the end user's call; the operator's trial is only in the audit trail.
    expect(main.acceptedEvents()).toEqual([expect.objectContaining({ reqId: real.requestId })]);
    const audits = lines.filter((line) => line.audit === "verdict");
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ source: "playground", verdict: "block", categories: ["hate"] });
    expect(audits[1]).not.toHaveProperty("source");
  });

  it("carry the user's text only with LOG_USER_TEXT", async () => {
    const { input } = await serve(undefined, { LOG_USER_TEXT: "true" });
    await input("some-app", "a slur", { topic: "x" });
    await main.waitForDeliveries(1);
    await vi.waitFor(() => expect(main.acceptedEvents().length).toBe(1), WAIT);
    expect(main.acceptedEvents()[0]).toMatchObject({ userText: { query: "a slur", inputs: '{"topic":"x"}' } });
  });

  it("keep a receiver's queued events across a policy reload", async () => {
    main.script({ status: 503 });
    const { built, input } = await serve(POLICY.replace("TEAM_URL", team.url), { MODERATION_WEBHOOK_BATCH_MAX: "1" });
    await input("some-app", "a slur");
    await main.waitForDeliveries(1);
    await writeFile(join(dir, "policy.yaml"), `version: two\n${POLICY.replace("TEAM_URL", team.url)}`);
    expect(await built.reloadPolicy()).toBe(true);
    await input("some-app", "another slur");
    await vi.waitFor(() => expect(main.acceptedEvents().length).toBe(2), WAIT);
    expect(main.acceptedEvents().map((event) => event.policyVersion)).toEqual([
      expect.stringMatching(/^sha256:/),
      "two",
    ]);
  });

  it("refuse a json receiver without its secret, naming the file, the app and the field", async () => {
    const policy = `apps:\n  x: { webhook: { url: "${team.url}", secret: team_b } }\n  y: { webhook: { url: "${team.url}" } }\n`;
    const failure = await serve(policy, { MODERATION_WEBHOOK_URL: "", MODERATION_WEBHOOK_SECRET: "" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    const file = join(dir, "policy.yaml");
    expect((failure as ConfigError).problems).toEqual([
      `${file}: apps.x.webhook.secret: MODERATION_WEBHOOK_SECRET_TEAM_B is not set`,
      `${file}: apps.y.webhook.url: json events are signed: set MODERATION_WEBHOOK_SECRET (or name another secret in webhook.secret)`,
    ]);
  });
});
