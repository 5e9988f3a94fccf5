/**
 * The deploy test: builds deployables with exactly the command deploy/Dockerfile runs, copies them
 * out of the repository (no node_modules anywhere above), starts them with the Dockerfile's CMD and
 * ENV under plain node, talks HTTP to them, runs the Dockerfile's HEALTHCHECK against them, and
 * stops them with SIGTERM. What is left untested of the image is the base image itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { difyCall } from "@dify-ext/test-support/app-process";
import { startFakeOpenMeteo } from "@dify-ext/test-support/fake-open-meteo";
import { startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DockerfileSpec, readDockerfile } from "./dockerfile.ts";

const repoDir = fileURLToPath(new URL("../../..", import.meta.url));
const KEY = "deploy-test-key-0123456789";

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs `command` in `cwd` with exactly `env`: its exit code and everything it printed, in order. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** Runs a shell command line as Docker's `RUN` does (`/bin/sh -c`). */
function sh(line: string, cwd: string, env: Record<string, string>): Promise<RunResult> {
  return run("/bin/sh", ["-c", line], cwd, { ...process.env, ...env });
}

/** Runs an exec-form command (`["node", …]`) with only the given environment. */
function exec(argv: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
  const [command, ...args] = argv;
  return run(command === "node" ? process.execPath : command!, args, cwd, env);
}

/** The environment of the container: PATH, the Dockerfile's ENV, and what the operator sets. */
function containerEnv(spec: DockerfileSpec, extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...spec.env, ...extra };
}

/**
 * Builds an app's deployable with the Dockerfile's build command (`/out` replaced by a temporary
 * folder) and copies it, as the runtime stage does, into a fresh folder outside the repository.
 */
async function buildDeployable(
  spec: DockerfileSpec,
  app: string,
  root: string,
): Promise<{ dir: string; buildOutput: string }> {
  const out = join(root, `${app}-out`);
  const command = spec.buildCommand.replace(/(\s)\/out(\s|$)/, `$1${out}$2`);
  expect(command).not.toBe(spec.buildCommand);
  const { code, output } = await sh(command, repoDir, { APP: app });
  if (code !== 0) throw new Error(`build of ${app} failed (exit ${code}):\n${output}`);
  const dir = join(root, `${app}-app`);
  await cp(out, dir, { recursive: true });
  return { dir, buildOutput: output };
}

interface Deployed {
  child: ChildProcess;
  url: string;
  port: number;
  output: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts a deployable with the Dockerfile's CMD and waits for its `listening` log line. */
function startDeployable(spec: DockerfileSpec, dir: string, env: Record<string, string>): Promise<Deployed> {
  const [command, ...args] = spec.cmd;
  expect(command).toBe("node");
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: containerEnv(spec, { HOST: "127.0.0.1", PORT: "0", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  // "close", not "exit": it fires after the last output line was read.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`deployable in ${dir} did not listen within 20 s:\n${output.join("\n")}`));
    }, 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`deployable in ${dir} exited with ${code} before listening:\n${output.join("\n")}`));
    });
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buffered += chunk;
        for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
          const line = buffered.slice(0, at);
          buffered = buffered.slice(at + 1);
          output.push(line);
          const record = line.startsWith("{") ? (JSON.parse(line) as { msg?: string; port?: number }) : {};
          if (record.msg === "listening" && typeof record.port === "number") {
            clearTimeout(timer);
            const port = record.port;
            resolve({
              child,
              port,
              url: `http://127.0.0.1:${port}`,
              output,
              async stop() {
                if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
                child.kill("SIGTERM");
                const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
                const code = await exited;
                clearTimeout(killer);
                return code;
              },
            });
          }
        }
      });
    }
  });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** The JSON reply of a deployable to an input moderation of `query`, as Dify sends it. */
async function moderateInput(app: Deployed, query: string): Promise<Record<string, unknown>> {
  return json(
    await difyCall(`${app.url}/api/dify/receive`, KEY, "app.moderation.input", { app_id: "a", inputs: {}, query }),
  );
}

let spec: DockerfileSpec;
let root: string;

beforeAll(async () => {
  spec = await readDockerfile(join(repoDir, "deploy/Dockerfile"));
  root = await mkdtemp(join(tmpdir(), "dify-ext-deploy-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("deploy/Dockerfile", () => {
  it("builds with the bundler, runs the deployable with plain node as a non-root user", () => {
    expect(spec.buildCommand).toMatch(/^pnpm --filter "?@dify-ext\/\$\{?APP\}?"? build:deploy --out \/out$/);
    expect(spec.copy.from).toBe("/out");
    expect(spec.cmd).toEqual(["node", "main.mjs"]);
    expect(spec.user).not.toMatch(/^(root|0)(:|$)/);
    expect(spec.env.NODE_ENV).toBe("production");
    expect(Number(spec.env.PORT)).toBe(spec.expose);
    expect(spec.nodeImage).toMatch(/^node:20\.\d+\.\d+-/);
    expect(spec.healthcheck[0]).toBe("node");
  });
});

describe("the moderation-keywords deployable, started like the image", () => {
  let dir: string;
  let app: Deployed;
  let buildOutput: string;

  beforeAll(async () => {
    ({ dir, buildOutput } = await buildDeployable(spec, "moderation-keywords", root));
    app = await startDeployable(spec, dir, { API_KEYS: KEY });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it("is a folder of plain JavaScript with nothing to install", async () => {
    expect(relative(repoDir, dir)).toMatch(/^\.\./);
    for (let up = dir; up !== dirname(up); up = dirname(up))
      expect(existsSync(join(up, "node_modules")), up).toBe(false);
    const files = await readdir(dir, { recursive: true });
    expect(files).toEqual(
      expect.arrayContaining(["main.mjs", "main.mjs.map", "package.json", "README.txt", "THIRD-PARTY-NOTICES.txt"]),
    );
    expect(files.filter((file) => /\.(ts|cts|mts)$/.test(file) || file.includes("node_modules"))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      type: "module",
      private: true,
      scripts: { start: "node main.mjs" },
      engines: { node: ">=20.19" },
    });
    expect(manifest).not.toHaveProperty("dependencies");
    const notices = await readFile(join(dir, "THIRD-PARTY-NOTICES.txt"), "utf8");
    expect(notices).toMatch(/^-+\nkoa@\d+\.\d+\.\d+ \(MIT\)/m);
    // The keyword engine's Chinese fold tables: MIT code, Apache-2.0 dictionary data (both texts).
    expect(notices).toMatch(/^-+\nopencc-js@1\.4\.2 \(MIT AND Apache-2\.0\)/m);
    expect(notices).toContain("Apache License");
    expect(buildOutput).toMatch(/total\s+\d+(\.\d+)? MiB/);
  });

  it("loads the bundled sample list", () => {
    expect(app.output.join("\n")).toMatch(/"name":"sample","terms":\d+.*keyword lists loaded \(the sample list/);
  });

  it("answers Dify's ping, and refuses a wrong key", async () => {
    const pong = await difyCall(`${app.url}/api/dify/receive`, KEY, "ping", {});
    expect(pong.status).toBe(200);
    expect(await pong.text()).toBe('{"result":"pong"}');
    const wrong = await difyCall(`${app.url}/api/dify/receive`, "wrong-key-000000", "ping", {});
    expect(wrong.status).toBe(401);
  });

  it("blocks input with a term of the sample list, and passes clean input", async () => {
    const blocked = await difyCall(`${app.url}/api/dify/receive`, KEY, "app.moderation.input", {
      app_id: "a",
      inputs: {},
      query: "你是个傻逼吧",
    });
    expect(blocked.status).toBe(200);
    expect(await json(blocked)).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Sorry, your message was blocked by content moderation.",
    });
    const clean = await difyCall(`${app.url}/api/dify/receive`, KEY, "app.moderation.input", {
      app_id: "a",
      inputs: { n: 3 },
      query: "What is a class?",
    });
    expect(await json(clean)).toEqual({ flagged: false, action: "direct_output" });
  });

  it("serves /healthz, /readyz and (with the key) /metrics", async () => {
    expect(await json(await fetch(`${app.url}/healthz`))).toEqual({ status: "ok" });
    expect(await json(await fetch(`${app.url}/readyz`))).toEqual({ status: "ready" });
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(
      /dify_ext_requests_total\{point="app.moderation.input",status="200",service="moderation-keywords"\} \d+/,
    );
    expect(text).toMatch(
      /dify_ext_verdicts_total\{engine="keywords",verdict="block",app="other",mode="enforce",service="moderation-keywords"\} 1/,
    );
  });

  it("passes the Dockerfile's HEALTHCHECK, which fails when nothing listens", async () => {
    const healthy = await exec(spec.healthcheck, dir, containerEnv(spec, { PORT: String(app.port) }));
    expect(healthy).toEqual({ code: 0, output: "" });
    const free = await exec(
      [
        "node",
        "-e",
        "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
      ],
      dir,
      {},
    );
    const down = await exec(spec.healthcheck, dir, containerEnv(spec, { PORT: free.output.trim() }));
    expect(down.code).toBe(1);
  });

  it("passes `pnpm check`, the documented verification", async () => {
    const { code, output } = await sh(`pnpm --silent check ${app.url}/api/dify/receive`, repoDir, {
      DIFY_EXT_CHECK_KEY: KEY,
    });
    expect(output).toMatch(/\d+ passed, 0 failed, \d+ skipped\. Dify accepts every reply\./);
    expect(code).toBe(0);
    expect(output).not.toContain(KEY);
  }, 60_000);

  it("stops with exit code 0 on SIGTERM", async () => {
    expect(await app.stop()).toBe(0);
    expect(app.output.at(-1)).toMatch(/"msg":"stopped"/);
  });

  // The kubelet writes a ConfigMap volume as <dir>/..<timestamp>/<file>, a symlink ..data to that
  // folder and <dir>/<file> → ..data/<file>; an update writes a new folder and renames a new
  // ..data symlink over the old one.
  async function writeVersion(listsDir: string, version: string, content: string) {
    await mkdir(join(listsDir, version));
    await writeFile(join(listsDir, version, "block.txt"), content);
    await symlink(version, join(listsDir, "..data_tmp"));
    await rename(join(listsDir, "..data_tmp"), join(listsDir, "..data"));
  }

  it("reloads keyword lists mounted from a Kubernetes ConfigMap when the ConfigMap changes", async () => {
    const listsDir = join(root, "configmap-lists");
    await mkdir(listsDir);
    await writeVersion(listsDir, "..2026_01_01_00_00_00.000000001", "badword\n");
    await symlink("..data/block.txt", join(listsDir, "block.txt"));
    const reloading = await startDeployable(spec, dir, { API_KEYS: KEY, KEYWORDS_FILES: join(listsDir, "block.txt") });
    try {
      const judge = async (query: string) =>
        (
          await json(
            await difyCall(`${reloading.url}/api/dify/receive`, KEY, "app.moderation.input", {
              app_id: "a",
              inputs: {},
              query,
            }),
          )
        ).flagged;
      expect(await judge("a badword here")).toBe(true);
      expect(await judge("a freshterm here")).toBe(false);
      await writeVersion(listsDir, "..2026_01_01_00_05_00.000000002", "badword\nfreshterm\n");
      await rm(join(listsDir, "..2026_01_01_00_00_00.000000001"), { recursive: true });
      await expect.poll(() => judge("a freshterm here"), { timeout: 10_000, interval: 100 }).toBe(true);
      // Log lines are written in blocks, at least every 200 ms.
      await expect
        .poll(() => reloading.output.join("\n"), { timeout: 5_000, interval: 100 })
        .toMatch(/keyword lists reloaded/);
    } finally {
      expect(await reloading.stop()).toBe(0);
    }
  }, 60_000);
});

describe("every other app's deployable starts and serves", () => {
  /** Builds `name`'s deployable, starts it with `env`, runs `check`, and expects a clean exit on SIGTERM. */
  async function checkDeployable(
    name: string,
    env: Record<string, string>,
    check: (app: Deployed, dir: string) => Promise<void>,
  ): Promise<void> {
    const { dir } = await buildDeployable(spec, name, root);
    const app = await startDeployable(spec, dir, env);
    try {
      await check(app, dir);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  }

  /** {@link checkDeployable} against a fake upstream started for it (`env` points the app at it) and closed after. */
  async function checkAgainstFake<F extends { url: string; close(): Promise<void> }>(
    name: string,
    startFake: () => Promise<F>,
    env: (fake: F) => Record<string, string>,
    check: (app: Deployed, fake: F, dir: string) => Promise<void>,
  ): Promise<void> {
    const fake = await startFake();
    try {
      await checkDeployable(name, { API_KEYS: KEY, ...env(fake) }, (app, dir) => check(app, fake, dir));
    } finally {
      await fake.close();
    }
  }

  it("moderation-obscenity, with the playground page built at bundle time (the deployable has no esbuild)", async () => {
    const env = { API_KEYS: KEY, MODERATION_OUTPUT_ACTION: "mask", PLAYGROUND: "true" };
    await checkDeployable("moderation-obscenity", env, async (app) => {
      const page = await fetch(`${app.url}/playground/playground.js`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("/api/playground/explain");
      const explained = await fetch(`${app.url}/api/playground/explain`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ point: "app.moderation.output", params: { text: "what the fuuuck" } }),
      });
      expect(await json(explained)).toMatchObject({
        verdict: "mask",
        engines: [{ engine: "obscenity", flagged: true }],
      });
      const reply = await json(
        await difyCall(`${app.url}/api/dify/receive`, KEY, "app.moderation.output", {
          app_id: "a",
          text: "what the fuuuck",
        }),
      );
      expect(reply).toMatchObject({ flagged: true, action: "overridden" });
      expect(reply.text).toMatch(/^what the \*+$/);
    });
  }, 120_000);

  it("moderation-pii", async () => {
    await checkDeployable("moderation-pii", { API_KEYS: KEY }, async (app) => {
      const reply = await json(
        await difyCall(`${app.url}/api/dify/receive`, KEY, "app.moderation.output", {
          app_id: "a",
          text: "Write to jane.doe@example.com or call +44 20 7946 0958.",
        }),
      );
      expect(reply).toEqual({ flagged: true, action: "overridden", text: "Write to [EMAIL] or call [PHONE]." });
    });
  }, 120_000);

  it("moderation-openai, whose engine is a lazily loaded chunk, against a fake OpenAI", async () => {
    await checkAgainstFake(
      "moderation-openai",
      () => startFakeOpenAI({ apiKey: "sk-deploy-test-0123" }),
      (fake) => ({ OPENAI_API_KEY: "sk-deploy-test-0123", OPENAI_BASE_URL: fake.url }),
      async (app, fake) => {
        expect(await moderateInput(app, "VIOLENT words")).toMatchObject({ flagged: true, action: "direct_output" });
        expect(fake.calls.length).toBeGreaterThan(0);
      },
    );
  }, 120_000);

  it("moderation-guard, against a fake guard model", async () => {
    await checkAgainstFake(
      "moderation-guard",
      () => startFakeGuard(),
      (fake) => ({ GUARD_BASE_URL: fake.url, GUARD_MODEL: "llama-guard3:8b" }),
      async (app, fake) => {
        expect(await moderateInput(app, "VIOLENT words")).toMatchObject({ flagged: true, action: "direct_output" });
        expect(fake.calls.length).toBe(1);
      },
    );
  }, 120_000);

  it("moderation (composite: keywords and obscenity)", async () => {
    await checkDeployable("moderation", { API_KEYS: KEY, MODERATION_INPUT_ACTION: "mask" }, async (app) => {
      expect(await moderateInput(app, "你是个傻逼吧, sh1t")).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "你是个**吧, ****",
      });
    });
  }, 120_000);

  it("weather, against a fake Open-Meteo", async () => {
    await checkAgainstFake(
      "weather",
      () => startFakeOpenMeteo(),
      (fake) => ({ OPEN_METEO_GEOCODING_URL: fake.url, OPEN_METEO_FORECAST_URL: fake.url }),
      async (app, _fake, dir) => {
        expect(existsSync(join(dir, "lists"))).toBe(false);
        const params = { app_id: "a", tool_variable: "weather", inputs: { location: "Paris" }, query: "Weather?" };
        const reply = await json(
          await difyCall(`${app.url}/api/dify/receive`, KEY, "app.external_data_tool.query", params),
        );
        expect(reply.result).toMatch(/^Current weather in Paris, .*Weather data by Open-Meteo\.com/);
      },
    );
  }, 120_000);
});
