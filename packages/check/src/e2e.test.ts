import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { runCommand } from "@dify-ext/test-support/run-command";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckReport, runChecks } from "./checks.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoDir = fileURLToPath(new URL("../../..", import.meta.url));
const keywordsDir = fileURLToPath(new URL("../../../apps/moderation-keywords", import.meta.url));
const guardDir = fileURLToPath(new URL("../../../apps/moderation-guard", import.meta.url));
const KEY = "e2e-check-key-0123456789";

/** Runs a command with the check key cleared from the environment unless `env` sets it. */
const run = (command: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  runCommand(command, args, { cwd, env: { DIFY_EXT_CHECK_KEY: "", ...env } });

// The installed bin, started from a directory outside the repo.
const cli = (args: string[]) => run(process.execPath, [join(packageDir, "bin/dify-ext-check.js"), ...args], tmpdir());

describe.each([
  ["block", "block"],
  ["mask", "mask"],
])("moderation-keywords (input %s, output %s), started as a real process", (inputAction, outputAction) => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({
      cwd: keywordsDir,
      env: { API_KEYS: KEY, MODERATION_INPUT_ACTION: inputAction, MODERATION_OUTPUT_ACTION: outputAction },
    });
  });
  afterAll(async () => {
    await app.stop();
  });

  it("passes every moderation check; the external data tool is reported as not supported", async () => {
    const report = await runChecks({ url: app.receiveUrl, key: KEY });
    const failures = report.results.filter((r) => r.status === "FAIL");
    expect(failures).toEqual([]);
    const skipped = report.results.filter((r) => r.status === "SKIP").map((r) => r.name);
    expect(skipped).toEqual(expect.arrayContaining(["external-data-tool: query", "external-data-tool: empty query"]));
    const moderation = report.results.filter((r) => r.point.startsWith("app.moderation"));
    // Every moderation check passes; the preset-response check only runs after a direct_output verdict.
    expect(moderation.filter((r) => r.status === "PASS").length).toBe(inputAction === "block" ? 7 : 6);
    expect(report.results.find((r) => r.name === "moderation-input: profanity")?.detail).toMatch(/^flagged/);
    expect(report.results.find((r) => r.name === "moderation-input: clean text")?.detail).toBe("not flagged");
    expect(report.ok).toBe(true);
  });

  it.runIf(inputAction === "block")(
    "through the CLI and through `pnpm check` from the repo root: exit 0, a table, no key",
    async () => {
      const direct = await cli([app.receiveUrl, "--key", KEY]);
      expect(direct.stderr).toBe("");
      expect(direct.code).toBe(0);
      expect(direct.stdout).toMatch(/^PASS +ping +\d+ ms +pong: Dify saves the extension$/m);
      expect(direct.stdout).toMatch(/^SKIP +external-data-tool: query/m);
      expect(direct.stdout).toMatch(/\d+ passed, 0 failed, 2 skipped\. Dify accepts every reply\./);
      expect(direct.stdout).not.toContain(KEY);

      // pnpm echoes the command line of `pnpm check` to stderr, so the key goes in the environment there.
      const viaPnpm = await run("pnpm", ["check", app.receiveUrl, "--points", "moderation-input", "--json"], repoDir, {
        DIFY_EXT_CHECK_KEY: KEY,
      });
      expect(viaPnpm.code).toBe(0);
      const report = JSON.parse(viaPnpm.stdout) as CheckReport;
      expect(report.ok).toBe(true);
      expect(report.results.map((r) => r.name)).toEqual([
        "ping",
        "ping with a wrong key",
        "moderation-input: clean text",
        "moderation-input: profanity",
        "moderation-input: non-text inputs",
      ]);
      expect(viaPnpm.stdout + viaPnpm.stderr).not.toContain(KEY);

      const silent = await run(
        "pnpm",
        ["--silent", "check", app.receiveUrl, "--key", KEY, "--points", "moderation-output"],
        repoDir,
      );
      expect(silent.code).toBe(0);
      expect(silent.stdout).toMatch(/^PASS +moderation-output: streamed answer/m);
      expect(silent.stdout + silent.stderr).not.toContain(KEY);
    },
  );
});

describe("moderation-guard against a fake Llama Guard, started as a real process", () => {
  let fake: FakeGuard;
  let app: AppProcess;
  beforeAll(async () => {
    fake = await startFakeGuard();
    // The fake answers in Llama Guard's format; it finds the samples' profanity hateful (S10).
    fake.script((call) => ({ type: "content", content: /fuck|shit|damn/i.test(call.judged) ? "unsafe\nS10" : "safe" }));
    app = await startAppProcess({
      cwd: guardDir,
      env: { API_KEYS: KEY, GUARD_BASE_URL: fake.url, GUARD_MODEL: "llama-guard3:8b" },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
  });

  it("passes every moderation check through `pnpm check`, the model judging each text", async () => {
    const result = await run("pnpm", ["--silent", "check", app.receiveUrl, "--json"], repoDir, {
      DIFY_EXT_CHECK_KEY: KEY,
    });
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.results.filter((r) => r.status === "FAIL")).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.results.find((r) => r.name === "moderation-input: profanity")?.detail).toMatch(
      /^flagged, direct_output: "Sorry, your message was blocked/,
    );
    expect(report.results.find((r) => r.name === "moderation-output: clean text")?.detail).toBe("not flagged");
    expect(fake.calls.length).toBeGreaterThan(5);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });
});

describe("the CLI against a broken service", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"result":"pong"}}'));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://user:secret-pass@127.0.0.1:${(server.address() as AddressInfo).port}/api/dify/receive`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("exits 1 and prints Dify's message under the failing row, never the key or the URL's password", async () => {
    const result = await cli([url, "--key", KEY, "--points", "moderation-output"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +ping +\d+ ms/m);
    expect(result.stdout).toContain("Dify: connection error: {'data': {'result': 'pong'}}");
    expect(result.stdout).toMatch(/^FAIL +ping with a wrong key/m);
    expect(result.stdout).toMatch(/^FAIL +moderation-output: clean text/m);
    expect(result.stdout).not.toContain(KEY);
    expect(result.stdout).not.toContain("secret-pass");
  });

  it("rejects a bad command line with exit 2, naming what was wrong and never echoing the key", async () => {
    const missingKey = await cli([url]);
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toBe("dify-ext-check: --key is missing (or set DIFY_EXT_CHECK_KEY)\n");
    const badPoint = await cli([url, "--key", KEY, "--points", "moderation"]);
    expect(badPoint.code).toBe(2);
    expect(badPoint.stderr).toMatch(/unknown point "moderation"/);
    const badTimeout = await cli([url, "--key", KEY, "--timeout-ms", "soon"]);
    expect(badTimeout.stderr).toMatch(/--timeout-ms must be a whole number/);
    const typo = await cli([url, `--ky=${KEY}`]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).not.toContain(KEY);
  });
});

describe("--app-id: the policy one Dify app gets from a per-app policy file", () => {
  let app: AppProcess;
  let dir: string;
  beforeAll(async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    dir = await mkdtemp(join(tmpdir(), "dify-ext-check-policy-"));
    await writeFile(join(dir, "list.txt"), "gadget\n");
    await writeFile(
      join(dir, "policy.yaml"),
      "default:\n  keywords: { files: [list.txt] }\napps:\n  tutor:\n    input: { action: mask }\n    output: { action: mask }\n",
    );
    app = await startAppProcess({
      cwd: keywordsDir,
      env: { API_KEYS: KEY, MODERATION_POLICY_FILE: join(dir, "policy.yaml") },
    });
  });
  afterAll(async () => {
    await app.stop();
    const { rm } = await import("node:fs/promises");
    await rm(dir, { recursive: true, force: true });
  });

  it("sends that app_id and shows how the app's policy answers the operator's own text", async () => {
    const tutor = await cli([app.receiveUrl, "--key", KEY, "--app-id", "tutor", "--text", "a gadget"]);
    expect(tutor.code).toBe(0);
    expect(tutor.stdout).toContain("as app_id: tutor");
    expect(tutor.stdout).toMatch(/^PASS +moderation-input: your text 1 .*flagged, overridden: "a \*{6}"$/m);
    expect(tutor.stdout).toMatch(/^PASS +moderation-output: your text 1 .*flagged, overridden: "a \*{6}"$/m);
    const other = await cli([app.receiveUrl, "--key", KEY, "--app-id", "helpdesk", "--text", "a gadget"]);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(
      /^PASS +moderation-input: your text 1 .*flagged, direct_output: "Sorry, your message/m,
    );
    expect(other.stdout).not.toMatch(/your text 1 .*overridden/);
    const empty = await cli([app.receiveUrl, "--key", KEY, "--app-id", " "]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--app-id must be 1 to 200 characters/);
  });
});
