/**
 * What every app's test files repeat around a running app: start it once for a suite (as a Node
 * process, or through a transport that may be a Worker) and stop it after, and the fuzz suite every
 * app runs against its real process.
 */
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppProcess,
  DEFAULT_START_TIMEOUT_MS,
  difyCall,
  logRecords,
  type StartAppOptions,
  startAppProcess,
} from "./app-process.ts";
import { difyClient } from "./dify.ts";
import { type FakeOpenAI, startFakeOpenAI } from "./fake-openai.ts";
import { type FuzzReport, fuzzReceiveEndpoint } from "./fuzz.ts";
import { INPUT_BLOCKED, PASS } from "./replies.ts";
import { propertyRuns, propertyTimeout } from "./seed.ts";
import type { RunningTarget, Transport } from "./worker.ts";

/** An app's environment, or a function that gives it when the suite starts (to read a fake upstream's URL). */
export type SuiteEnv = Record<string, string> | (() => Record<string, string>);

const envOf = (env: SuiteEnv | undefined): Record<string, string> => (typeof env === "function" ? env() : (env ?? {}));

/** The app the suite started; throws when a test reads it outside the suite's tests. */
function started<T>(app: T | undefined): T {
  if (app === undefined) throw new Error("the suite's app is not running: read it inside a test or a hook after it");
  return app;
}

/** Starting an app (a Worker build included) can take a minute and more on a loaded machine. */
export const START_MS = 180_000;

/** An object whose `keys` read those of the suite's app once it runs (the hooks start it after the suite is defined). */
function lateBound<T extends object>(current: () => T | undefined, keys: ReadonlyArray<keyof T>): T {
  const view = {} as T;
  for (const key of keys) Object.defineProperty(view, key, { enumerable: true, get: () => started(current())[key] });
  return view;
}

/**
 * Starts the app through `transport` with `env` before the suite's first test (`beforeAll`, within
 * `timeoutMs`) and stops it after its last (`afterAll`). Call it inside a `describe`: the returned
 * app is that suite's, and its fields can be read from its first test on.
 *
 * @example const app = startAppForSuite(transport, () => ({ API_KEYS: KEY, OPENAI_BASE_URL: fake.url }));
 */
export function startAppForSuite(transport: Transport, env: SuiteEnv, timeoutMs = START_MS): RunningTarget {
  let app: RunningTarget | undefined;
  beforeAll(async () => {
    app = await transport.start(envOf(env));
  }, timeoutMs);
  afterAll(() => app?.stop());
  return lateBound(() => app, ["url", "receiveUrl", "output", "stop"]);
}

/** Options of {@link startProcessForSuite}: those of `startAppProcess`, with an env that may be a function. */
export interface SuiteProcessOptions extends Omit<StartAppOptions, "env"> {
  env?: SuiteEnv;
}

/**
 * Starts the app as a real Node process (`startAppProcess`) before the suite's first test, and
 * after its last stops it with SIGTERM, expecting a clean exit (code 0). Call it inside a
 * `describe`; the returned process is readable from the suite's first test on.
 */
export function startProcessForSuite(options: SuiteProcessOptions): AppProcess {
  let app: AppProcess | undefined;
  beforeAll(
    async () => {
      app = await startAppProcess({ ...options, env: envOf(options.env) });
    },
    (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) + 30_000,
  );
  afterAll(async () => {
    if (app) expect(await app.stop()).toBe(0);
  });
  return lateBound(() => app, ["url", "receiveUrl", "port", "child", "output", "stop"]);
}

/** The API key the fuzzed app accepts and the fuzz sends. */
export const FUZZ_KEY = "fuzz-key-0123456789";

/** A fake upstream a fuzzed app talks to (the fake OpenAI, guard model or Open-Meteo). */
export interface FuzzUpstream {
  close(): Promise<void>;
}

/** What {@link fuzzAppSuite} needs to know of one app; `U` is its fake upstream, if it has one. */
export interface FuzzAppOptions<U extends FuzzUpstream | undefined> {
  /** The suite's title. */
  title: string;
  /**
   * The fuzz run's name: it picks the fixed seed CI runs with (so keep it when moving the test) and
   * names the run in its report. Unique in the repository.
   */
  name: string;
  /** The app's folder (its package root). */
  appDir: string;
  /** Requests per run in CI (default 3000; `FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
  runs?: number;
  /** Starts the fake upstream the app talks to, before the app; it is closed after the app stopped. */
  upstream?: () => Promise<U>;
  /** The app's variables besides `API_KEYS` (set to {@link FUZZ_KEY}); given the upstream. */
  env?: Record<string, string> | ((upstream: U) => Record<string, string>);
  /** The points well-formed requests name (default: ping and the two moderation points). */
  points?: readonly Point[];
  /** Points that must get valid 200 answers during the run (default: every point but ping). */
  mustAnswer?: readonly Point[];
  /** Problems of a reply beyond Dify's acceptance rules (an app's own promises). */
  moreProblems?: (point: string, reply: unknown, params: unknown) => string[];
  /**
   * How many requests reached the upstream: the run's report says it, and the run fails when none
   * did (the hostile texts must really have gone upstream).
   */
  upstreamRequests?: (upstream: U) => number;
  /** The report's line about the upstream, when more than {@link FuzzAppOptions.upstreamRequests} is worth saying. */
  note?: (upstream: U) => string;
  /** Checks after the run, beyond "never a 500" (e.g. on what the upstream received). */
  afterRun?: (report: FuzzReport, upstream: U) => void;
  /** The valid call the app must still answer after the storm, and the reply it must give (`toEqual`). */
  afterStorm: { point?: Point; params: unknown; reply: unknown };
}

/** Both moderation points set to mask (the fuzz's setting for apps whose engines find spans). */
export const MASK_AT_BOTH_POINTS: Readonly<Record<string, string>> = {
  MODERATION_INPUT_ACTION: "mask",
  MODERATION_OUTPUT_ACTION: "mask",
};

/** The OpenAI key a fuzzed app sends the fake OpenAI of {@link againstFakeOpenAI}. */
export const FUZZ_OPENAI_KEY = "sk-fuzz-secret-8d3e1a";

/**
 * The {@link fuzzAppSuite} options of an app whose openai engine talks to the fake OpenAI: starts
 * the fake (which checks {@link FUZZ_OPENAI_KEY}), points the engine at it with a 2 s timeout and
 * `env` besides, and counts the requests that reached it (the run fails when none did).
 */
export function againstFakeOpenAI(env: Record<string, string> = {}) {
  return {
    upstream: () => startFakeOpenAI({ apiKey: FUZZ_OPENAI_KEY }),
    env: (fake: FakeOpenAI) => ({
      OPENAI_API_KEY: FUZZ_OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
      OPENAI_TIMEOUT_MS: "2000",
      ...env,
    }),
    upstreamRequests: (fake: FakeOpenAI) => fake.calls.length,
  } satisfies Partial<FuzzAppOptions<FakeOpenAI>>;
}

const MODERATION_POINTS: readonly Point[] = ["ping", "app.moderation.input", "app.moderation.output"];

/**
 * The fuzz suite every app runs against its real process: starts the app (and its fake upstream),
 * sends it `runs` generated hostile requests (`fuzzReceiveEndpoint`: hostile transport, content and
 * bytes, with the repository's fixed seed in CI), and expects only 200s and 4xx, replies Dify
 * accepts, no reset and no hang; then that the process is still up and answers a valid call
 * correctly, and that it exits cleanly (code 0) on SIGTERM.
 */
export function fuzzAppSuite<U extends FuzzUpstream | undefined = undefined>(options: FuzzAppOptions<U>): void {
  const runs = options.runs ?? 3000;
  const points = options.points ?? MODERATION_POINTS;
  const mustAnswer = options.mustAnswer ?? points.filter((point) => point !== "ping");
  const note = (upstream: U) =>
    options.note?.(upstream) ??
    (options.upstreamRequests ? `upstream requests ${options.upstreamRequests(upstream)}` : "");
  describe(options.title, () => {
    let upstream: U;
    let app: AppProcess | undefined;
    beforeAll(async () => {
      upstream = (await options.upstream?.()) as U;
      const env = typeof options.env === "function" ? options.env(upstream) : options.env;
      app = await startAppProcess({ cwd: options.appDir, env: { API_KEYS: FUZZ_KEY, ...env }, startTimeoutMs: 60_000 });
    }, 90_000);
    afterAll(async () => {
      if (app) expect(await app.stop()).toBe(0);
      await upstream?.close();
    });

    it(
      `answers ${propertyRuns(runs)} generated hostile requests with 200/4xx and replies Dify accepts, never 5xx, a reset or a hang`,
      async () => {
        const report = await fuzzReceiveEndpoint(started(app).url, FUZZ_KEY, {
          name: options.name,
          runs,
          points,
          checkReply: (point, reply, params) => [
            ...difyReplyProblems(point as Point, reply, params),
            ...(options.moreProblems?.(point, reply, params) ?? []),
          ],
          mustAnswer,
          note: () => note(upstream),
        });
        expect(report.statuses[500]).toBeUndefined();
        if (options.upstreamRequests) expect(options.upstreamRequests(upstream)).toBeGreaterThan(0);
        options.afterRun?.(report, upstream);
      },
      propertyTimeout(300_000, runs),
    );

    it("is still up and answers a valid request correctly after the storm", async () => {
      const { point = "app.moderation.input", params, reply } = options.afterStorm;
      expect(started(app).child.exitCode).toBeNull();
      const response = await difyCall(started(app).receiveUrl, FUZZ_KEY, point, params);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(reply);
    });
  });
}

/**
 * What a moderation app whose engine calls an upstream does outside production when `variable`
 * (the upstream's URL or key) is not set, as a real Node process: it starts anyway and warns
 * loudly, answers ping, reports not ready on /readyz with the reason, and answers moderation calls
 * by each point's failure policy (input set to fail closed, output open by default). A Worker runs
 * as production, so this is a Node suite.
 */
export function upstreamUnsetSuite(options: {
  app: string;
  /** The engine that cannot judge (`openai`, `guard`). */
  engine: string;
  appDir: string;
  key: string;
  variable: string;
}): void {
  const { key, variable, engine } = options;
  const cause = `${variable} is not set`;
  const reason =
    `not moderating: the ${engine} engine cannot judge (${cause}); MODERATION_INPUT_ON_ERROR=closed blocks every ` +
    "input call, MODERATION_OUTPUT_ON_ERROR=open lets every output call through unmoderated";
  const { expectPong, input, output } = difyClient(key);
  describe(`${options.app} without ${variable} (Node)`, () => {
    const app = startProcessForSuite({
      cwd: options.appDir,
      env: { API_KEYS: key, MODERATION_INPUT_ON_ERROR: "closed" },
    });

    it("starts outside production, says so loudly, and answers ping", async () => {
      expect(app.output.some((line) => line.includes('"level":"warn"') && line.includes(cause))).toBe(true);
      await expectPong(app);
    });

    it("reports not ready on /readyz, with the reason and what the failure policy does", async () => {
      const response = await fetch(`${app.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "not ready", reason });
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    });

    it("ends its start-up with one line of state that says it is not moderating, and why", async () => {
      let line: Record<string, unknown> | undefined;
      for (const until = Date.now() + 10_000; !line && Date.now() < until; ) {
        line = logRecords(app).find((record) => record.state !== undefined);
        if (!line) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(line).toMatchObject({
        level: "warn",
        name: options.app,
        state: "degraded",
        port: app.port,
        engines: [engine],
        moderating: "no",
        reason,
        msg: `${options.app} on port ${app.port}: NOT MODERATING: ${reason.slice("not moderating: ".length)}`,
      });
    });

    it(`exposes dify_ext_moderating 0 and dify_ext_engine_ready 0 for ${engine}`, async () => {
      const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
      expect(metrics).toMatch(new RegExp(`^dify_ext_moderating\\{service="${options.app}"\\} 0$`, "m"));
      expect(metrics).toMatch(
        new RegExp(`^dify_ext_engine_ready\\{engine="${engine}",service="${options.app}"\\} 0$`, "m"),
      );
    });

    it("answers moderation calls by the failure policy of each point", async () => {
      expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED); // MODERATION_INPUT_ON_ERROR=closed
      expect(await output(app, "I am VIOLENT")).toEqual(PASS); // MODERATION_OUTPUT_ON_ERROR defaults to open
    });
  });
}
