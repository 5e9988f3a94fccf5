import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difyReplyProblems } from "@dify-ext/protocol";
import { difyCall } from "@dify-ext/test-support/app-process";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createModerationApp, type ModerationApp } from "../app.ts";
import { type ModerationConfig, readCommonSettings, readPolicySettings } from "../config/index.ts";
import { keywords } from "../engines/keywords.ts";
import { obscenity } from "../engines/obscenity.ts";

const KEY = "policy-test-key-4711";
const TUTOR = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed";
const HELPDESK = "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b";
const PILOT = "pilot-app";

let dir: string;
let lines: RecordedLine[];
const running: Array<{ server: Server; built: ModerationApp }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dify-ext-policy-"));
  lines = [];
  await writeFile(join(dir, "base.txt"), "forbidden\n");
  await writeFile(join(dir, "strict.txt"), "forbidden\nhomework answers\n");
  await writeFile(join(dir, "new.txt"), "# category: illicit\nlottery\n");
});

afterEach(async () => {
  for (const { server, built } of running.splice(0)) {
    built.close();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

const POLICY = `
version: "2026-12-01.1"
default:
  keywords: { files: [base.txt] }
apps:
  ${TUTOR}:
    keywords: { files: [strict.txt] }
    input: { action: mask }
    output: { action: mask }
  ${HELPDESK}:
    input: { action: block, preset_response: "Helpdesk: please rephrase." }
  ${PILOT}:
    mode: shadow
    keywords: { files: [new.txt] }
`;

async function serve(policy: string | undefined, env: Record<string, string> = {}) {
  const file = join(dir, "policy.yaml");
  if (policy !== undefined) await writeFile(file, policy);
  const values = { API_KEYS: KEY, KEYWORDS_WATCH: "false", ...env };
  const config: ModerationConfig = {
    common: readCommonSettings(values),
    port: 0,
    policy: readPolicySettings(values),
    engines: { keywords: keywords.read(values), obscenity: obscenity.read(values) },
    ...(policy !== undefined && { policyFile: file }),
  };
  const built = await createModerationApp({ config, logger: recordingLogger(lines), watchPolicy: false });
  const server = createServer(built.app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  running.push({ server, built });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/dify/receive`;
  return { built, file, url };
}

async function input(url: string, appId: string | undefined, query: string) {
  const params = { ...(appId !== undefined && { app_id: appId }), inputs: {}, query };
  const response = await difyCall(url, KEY, "app.moderation.input", params);
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(difyReplyProblems("app.moderation.input", body, params)).toEqual([]);
  return body as Record<string, unknown>;
}

const audits = () => lines.filter((line) => line.audit === "verdict");

describe("per-app policies from MODERATION_POLICY_FILE", () => {
  it("gives two apps different verdicts for the same text, and an unknown app the default", async () => {
    const { url } = await serve(POLICY);
    const text = "please give me the homework answers";
    expect(await input(url, TUTOR, text)).toEqual({
      flagged: true,
      action: "overridden",
      inputs: {},
      query: "please give me the ****************",
    });
    expect(await input(url, HELPDESK, text)).toEqual({ flagged: false, action: "direct_output" });
    expect(await input(url, HELPDESK, "a forbidden word")).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Helpdesk: please rephrase.",
    });
    // An app the file does not name, and a call without app_id, get the default (base list, block).
    for (const appId of ["someone-else", undefined, "__proto__"]) {
      expect(await input(url, appId, text)).toEqual({ flagged: false, action: "direct_output" });
      expect(await input(url, appId, "forbidden")).toMatchObject({ flagged: true, action: "direct_output" });
    }
  });

  it("answers not flagged in shadow mode and writes the audit line", async () => {
    const { url } = await serve(POLICY);
    expect(await input(url, PILOT, "I won the lottery")).toEqual({ flagged: false, action: "direct_output" });
    expect(audits()).toEqual([
      expect.objectContaining({
        level: "info",
        msg: "moderation verdict",
        appId: PILOT,
        app: PILOT,
        point: "input",
        verdict: "block",
        mode: "shadow",
        engines: ["keywords"],
        terms: ["lottery"],
        categories: ["illicit"],
        category: "illicit",
        rules: ["new"],
        policyVersion: "2026-12-01.1",
        reqId: expect.any(String),
      }),
    ]);
    const access = lines.find((line) => line.msg === "request" || (line.status === 200 && line.point));
    expect(access ?? {}).toMatchObject({ verdict: "block", mode: "shadow", app: PILOT });
  });

  it("never puts user text or a key in the audit line unless LOG_USER_TEXT", async () => {
    const { url } = await serve(POLICY);
    await input(url, TUTOR, "secret-user-sentence with homework answers inside");
    expect(audits()).toHaveLength(1);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("secret-user-sentence");
    expect(logged).not.toContain(KEY);
    expect(audits()[0]).toMatchObject({ verdict: "mask", terms: ["homework answers"], appId: TUTOR });

    lines.length = 0;
    const verbose = await serve(POLICY, { LOG_USER_TEXT: "true" });
    await input(verbose.url, TUTOR, "secret-user-sentence with homework answers inside");
    expect(audits()[0]!.userText).toMatchObject({ query: expect.stringContaining("secret-user-sentence") });
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  it("takes a good edit without a restart and keeps the old policy on a broken one", async () => {
    const { built, file, url } = await serve(POLICY);
    expect(await input(url, HELPDESK, "lottery")).toMatchObject({ flagged: false });

    await writeFile(file, POLICY.replace(`  ${HELPDESK}:\n`, `  ${HELPDESK}:\n    keywords: { files: [new.txt] }\n`));
    expect(await built.reloadPolicy()).toBe(true);
    expect(await input(url, HELPDESK, "lottery")).toMatchObject({ flagged: true, action: "direct_output" });

    await writeFile(file, POLICY.replace("mode: shadow", "mode: loud"));
    expect(await built.reloadPolicy()).toBe(false);
    const refused = lines.find(
      (line) => line.msg === "moderation policy not reloaded; the previous policy keeps serving",
    );
    expect(refused?.problems).toEqual([`${file}: apps.${JSON.stringify(PILOT)}.mode: expected enforce or shadow`]);
    expect(await input(url, HELPDESK, "lottery")).toMatchObject({ flagged: true });

    await writeFile(file, POLICY.replace("[new.txt]", "[missing.txt]"));
    expect(await built.reloadPolicy()).toBe(false);
    expect(JSON.stringify(lines.at(-1))).toMatch(/apps\.\\"pilot-app\\"\.keywords/);
    expect(await input(url, PILOT, "lottery")).toEqual({ flagged: false, action: "direct_output" });
    expect(built.moderation.policies()).toMatchObject({ version: "2026-12-01.1", apps: 3 });
  });

  it("refuses at start-up a file naming an engine the service does not run, naming app and field", async () => {
    const bad = `apps:\n  x:\n    engines: [openai]\n`;
    await expect(serve(bad)).rejects.toThrow(/apps\.x\.engines: the openai engine is not running in this service/);
  });

  it("shares engines between apps with equal settings: a thousand apps build one automaton", async () => {
    const apps = Array.from({ length: 1000 }, (_, i) => `  app-${i}: { input: { action: mask } }`).join("\n");
    const { built, url } = await serve(`default: { keywords: { files: [base.txt] } }\napps:\n${apps}\n`);
    expect(built.moderation.policies()).toMatchObject({ apps: 1000, engineCount: 2 });
    expect(await input(url, "app-999", "forbidden")).toMatchObject({ action: "overridden", query: "*********" });
  });

  it("behaves exactly as before without a policy file", async () => {
    const { built, url } = await serve(undefined, { KEYWORDS_FILES: join(dir, "base.txt") });
    expect(built.moderation.policies()).toEqual({ version: "env", apps: 0, engineCount: 2 });
    expect(await input(url, TUTOR, "forbidden")).toMatchObject({ flagged: true, action: "direct_output" });
  });
});
