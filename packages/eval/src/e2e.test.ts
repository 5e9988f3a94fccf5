import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { runCommand } from "@dify-ext/test-support/run-command";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalReport } from "./run.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoDir = fileURLToPath(new URL("../../..", import.meta.url));
const keywordsDir = fileURLToPath(new URL("../../../apps/moderation-keywords", import.meta.url));
const KEY = "e2e-eval-key-0123456789";

/** Runs a command with the eval key cleared from the environment unless `env` sets it. */
const run = (command: string, args: string[], cwd: string, env: Record<string, string> = {}, stdin?: string) =>
  runCommand(command, args, { cwd, env: { DIFY_EXT_EVAL_KEY: "", ...env }, ...(stdin !== undefined ? { stdin } : {}) });

// The installed bin, started from a directory outside the repo.
const cli = (args: string[], stdin?: string) =>
  run(process.execPath, [join(packageDir, "bin/dify-ext-eval.js"), ...args], tmpdir(), {}, stdin);

/** Labelled cases for the keyword app's built-in list (English profanity), as a JSONL file. */
const KEYWORD_CASES = [
  { text: "You are a fucking idiot.", label: "flag", lang: "en", kind: "insult" },
  { text: "This answer is bullshit.", label: "attack", lang: "en", kind: "insult" },
  { text: "What a lovely garden you have.", label: "pass", lang: "en", kind: "chat" },
  { text: "How do I grow tomatoes?", label: "benign", lang: "en", kind: "chat" },
  { text: "You absolute donkey.", label: "attack", lang: "en", kind: "insult" },
  { text: "Here is your fucking answer.", label: "attack", point: "output", lang: "en", kind: "answer" },
]
  .map((c) => JSON.stringify(c))
  .join("\n");

describe("dify-ext eval against the keyword app, started as a real process", () => {
  let app: AppProcess;
  let dir: string;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: keywordsDir, env: { API_KEYS: KEY } });
    dir = mkdtempSync(join(tmpdir(), "dify-ext-eval-"));
    writeFileSync(join(dir, "cases.jsonl"), KEYWORD_CASES);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("measures the app's verdicts on a file: the table, the misses, and the exit code of the gates", async () => {
    const result = await cli([app.receiveUrl, "--key", KEY, "--file", join(dir, "cases.jsonl")]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^6 cases from .*cases\.jsonl \(4 attacks, 2 benign\), concurrency 4$/m);
    expect(result.stdout).toMatch(/^overall\s+6\s+4\s+2\s+75\.0%\s+0\.0%\s+100\.0%\s+0$/m);
    expect(result.stdout).toMatch(/^kind insult\s+3\s+3\s+0\s+66\.7%/m);
    expect(result.stdout).toMatch(/^kind answer\s+1\s+1\s+0\s+100\.0%/m);
    expect(result.stdout).toMatch(
      /misses \(attacks not flagged\), the first 1 of 1:\n {2}line 5 +en insult +You absolute donkey\./,
    );
    expect(result.stdout).toMatch(/^latency: p50 \d+ ms, p99 \d+ ms, max \d+ ms \(6 calls\)$/m);
    expect(result.stdout).toMatch(/^PASS$/m);
    expect(result.stdout).not.toContain(KEY);
    expect(result.code).toBe(0);

    const gated = await cli([
      app.receiveUrl,
      "--key",
      KEY,
      "--file",
      join(dir, "cases.jsonl"),
      "--min-recall",
      "80%",
      "--max-fpr",
      "0",
    ]);
    expect(gated.stdout).toMatch(/^FAIL: recall 75\.0% is below --min-recall 80\.0%$/m);
    expect(gated.code).toBe(1);
  });

  it("reads cases from standard input, sends them as an input variable, and prints JSON for machines", async () => {
    const result = await cli(
      [app.receiveUrl, "--key", KEY, "--file", "-", "--json", "--input-var", "document", "--misses", "0"],
      KEYWORD_CASES,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EvalReport & { ok: boolean; source: string };
    expect(report.ok).toBe(true);
    expect(report.source).toBe("standard input");
    expect(report.overall).toMatchObject({ tp: 3, fn: 1, fp: 0, tn: 2, errors: 0 });
    expect(report.misses).toEqual([]);
  });

  it("runs the built-in sample with no file, through `pnpm eval` from the repo root", async () => {
    // The keyword app knows no injection attack: its recall on the sample is low, but every call gets a verdict.
    const result = await run("pnpm", ["--silent", "eval", app.receiveUrl, "--json", "--misses", "2"], repoDir, {
      DIFY_EXT_EVAL_KEY: KEY,
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EvalReport & { source: string };
    expect(report.source).toBe("the built-in sample");
    expect(report.errors).toBe(0);
    expect(report.cases).toBeGreaterThan(40);
    expect(report.misses).toHaveLength(2);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it("reads a relative --file from the repository root under `pnpm eval` (pnpm runs scripts there)", async () => {
    const relativePath = relative(repoDir, join(dir, "cases.jsonl"));
    const result = await run("pnpm", ["--silent", "eval", app.receiveUrl, "--file", relativePath, "--json"], repoDir, {
      DIFY_EXT_EVAL_KEY: KEY,
    });
    expect(JSON.parse(result.stdout).cases).toBe(6);
  }, 60_000);
});

describe("dify-ext eval against a small extension of the test's own", () => {
  let server: Server;
  let url: string;
  const seen: Array<{ point: string; params: Record<string, unknown> }> = [];
  beforeAll(async () => {
    // Flags texts with "attack"; answers 500 for "crash" and a reply Dify refuses for "garbage".
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const { point, params } = JSON.parse(body) as { point: string; params: Record<string, unknown> };
        seen.push({ point, params });
        const text = String(params.query || params.text || Object.values((params.inputs as object) ?? {}).join(" "));
        res.setHeader("content-type", "application/json");
        if (text.includes("crash")) {
          res.statusCode = 500;
          res.end(JSON.stringify({ error: { message: "boom" } }));
          return;
        }
        if (text.includes("garbage")) {
          res.end(JSON.stringify({ flagged: true }));
          return;
        }
        res.end(JSON.stringify({ flagged: text.includes("attack"), action: "direct_output", preset_response: "no" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/dify/receive`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends input cases as the query and output cases as the answer, as Dify does", async () => {
    seen.length = 0;
    const cases = [
      { text: "an attack", label: "attack" },
      { text: "an answer with attack", label: "attack", point: "output" },
    ];
    const result = await cli(
      [url, "--key", KEY, "--file", "-", "--app-id", "app-42"],
      cases.map((c) => JSON.stringify(c)).join("\n"),
    );
    expect(result.code).toBe(0);
    expect(seen).toEqual([
      { point: "app.moderation.input", params: { app_id: "app-42", inputs: {}, query: "an attack" } },
      { point: "app.moderation.output", params: { app_id: "app-42", text: "an answer with attack" } },
    ]);
  });

  it("counts calls Dify would fail as errors: listed, left out of the rates, and exit 1", async () => {
    const cases = ["an attack", "crash now", "garbage reply", "hello"].map((text, i) =>
      JSON.stringify({ text, label: i === 0 ? "attack" : "benign" }),
    );
    const result = await cli([url, "--key", KEY, "--file", "-"], cases.join("\n"));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^overall\s+4\s+1\s+3\s+100\.0%\s+0\.0%\s+100\.0%\s+2$/m);
    expect(result.stdout).toContain("line 2: Dify would fail this call: request error, status_code: 500");
    expect(result.stdout).toContain("line 3: Dify would fail this call: 1 validation error for ModerationInputsResult");
    expect(result.stdout).toMatch(/^FAIL: 2 of 4 calls got no verdict$/m);
  });

  it("refuses a bad file or command line with exit 2, naming the line", async () => {
    const bad = await cli([url, "--key", KEY, "--file", "-"], '{"text": "a", "label": "attack"}\n{"text": "b"}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('dify-ext-eval: stdin:2: "label" must be attack, flag, benign or pass, got undefined\n');
    const missing = await cli([url, "--key", KEY, "--file", "/nonexistent/cases.jsonl"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/cases\.jsonl: ENOENT/);
    expect((await cli([url])).stderr).toMatch(/--key is missing/);
    expect((await cli([url, "--key", KEY, "--max-fpr", "3"])).stderr).toMatch(/--max-fpr must be a rate from 0 to 1/);
    expect((await cli([url, "--key", KEY, "--concurrency", "0"])).stderr).toMatch(
      /--concurrency must be a whole number from 1 to 64/,
    );
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: dify-ext-eval <url> --key <api-key>/);
  });

  it("shows no progress bar when its output is not a terminal", async () => {
    const result = await cli([url, "--key", KEY, "--file", "-"], JSON.stringify({ text: "hi", label: "benign" }));
    expect(result.stderr).toBe("");
  });
});
