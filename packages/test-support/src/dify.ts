/**
 * Calling an app as Dify does, and checking its replies the way Dify reads them: what every app's
 * end-to-end and in-process cases repeat, whatever runs the app (a Node process, a Worker in
 * workerd, a server in the test's own process).
 */
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { expect } from "vitest";
import { difyCall } from "./app-process.ts";

/** Anything that serves Dify's receive endpoint: an app process, a Worker, an in-process server. */
export interface ReceiveTarget {
  /** `<base URL>/api/dify/receive`. */
  receiveUrl: string;
}

/** A reply as the tests read it. */
export type Reply = Record<string, unknown>;

/** Calls with one API key, checked as Dify checks them; from {@link difyClient}. */
export interface DifyClient {
  /** Calls `point` with `params`, expecting a 200 whose body Dify accepts ({@link difyReplyProblems}); the reply. */
  call(app: ReceiveTarget, point: Point, params: unknown): Promise<Reply>;
  /** {@link DifyClient.call}, timed: the reply and the milliseconds from sending to the whole body read. */
  timedCall(app: ReceiveTarget, point: Point, params: unknown): Promise<{ body: Reply; ms: number }>;
  /** Moderates a user's input (`app_id` "app"): the query and the inputs. */
  input(app: ReceiveTarget, query: string, inputs?: Record<string, unknown>): Promise<Reply>;
  /** Moderates the model's answer (`app_id` "app"). */
  output(app: ReceiveTarget, text: string): Promise<Reply>;
  /**
   * {@link DifyClient.input} with no inputs, expecting the reply within `budgetMs` (an engine's
   * worst case, plus slack for a loaded machine): what a failing upstream must not stretch.
   */
  inputWithin(app: ReceiveTarget, query: string, budgetMs: number): Promise<Reply>;
  /** {@link DifyClient.output}, expecting the reply within `budgetMs`. */
  outputWithin(app: ReceiveTarget, text: string, budgetMs: number): Promise<Reply>;
  /** Pings as Dify does when an extension is saved (with `key`, default the client's) and expects `{"result":"pong"}`. */
  expectPong(app: ReceiveTarget, key?: string): Promise<void>;
  /** Posts a body that is not JSON and expects the 400 that says so. */
  expectBadJson(app: ReceiveTarget): Promise<void>;
  /**
   * Calls `point` with `params` Dify never sends (wrong types, a point the app does not serve) and
   * expects a 400; the error, to check what it says.
   */
  expectBadRequest(app: ReceiveTarget, point: string, params: unknown): Promise<{ code: string; message: string }>;
  /**
   * Calls the external data tool's point, which a moderation app does not serve, and expects the 400
   * that lists the points it does serve.
   */
  expectModerationPointsOnly(app: ReceiveTarget): Promise<void>;
}

/**
 * The calls Dify makes with `key` (`Authorization: Bearer <key>`), each reply checked as Dify
 * checks it: status 200, and no problem by Dify's own acceptance rules for that point.
 *
 * @example const { input, output } = difyClient(KEY);
 * expect(await input(app, "what the fuck")).toEqual(INPUT_BLOCKED);
 */
export function difyClient(key: string): DifyClient {
  const timedCall = async (app: ReceiveTarget, point: Point, params: unknown) => {
    const started = performance.now();
    const response = await difyCall(app.receiveUrl, key, point, params);
    const body = await response.json();
    const ms = performance.now() - started;
    expect(response.status).toBe(200);
    expect(difyReplyProblems(point, body, params)).toEqual([]);
    return { body: body as Reply, ms };
  };
  const call = async (app: ReceiveTarget, point: Point, params: unknown) => (await timedCall(app, point, params)).body;
  const within = async (budgetMs: number, timed: Promise<{ body: Reply; ms: number }>) => {
    const { body, ms } = await timed;
    expect(ms, "milliseconds to answer").toBeLessThan(budgetMs);
    return body;
  };
  const expectBadRequest = async (app: ReceiveTarget, point: string, params: unknown) => {
    const response = await difyCall(app.receiveUrl, key, point, params);
    expect(response.status).toBe(400);
    return ((await response.json()) as { error: { code: string; message: string } }).error;
  };
  return {
    call,
    timedCall,
    input: (app, query, inputs = {}) => call(app, "app.moderation.input", { app_id: "app", inputs, query }),
    output: (app, text) => call(app, "app.moderation.output", { app_id: "app", text }),
    inputWithin: (app, query, budgetMs) =>
      within(budgetMs, timedCall(app, "app.moderation.input", { app_id: "app", inputs: {}, query })),
    outputWithin: (app, text, budgetMs) =>
      within(budgetMs, timedCall(app, "app.moderation.output", { app_id: "app", text })),
    async expectPong(app, pingKey = key) {
      const response = await difyCall(app.receiveUrl, pingKey, "ping", {});
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"result":"pong"}');
    },
    async expectBadJson(app) {
      const response = await fetch(app.receiveUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: "{oops",
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: "invalid_json", message: "the body is not valid JSON" } });
    },
    expectBadRequest,
    async expectModerationPointsOnly(app) {
      const params = { tool_variable: "x", inputs: {}, query: "" };
      const { message } = await expectBadRequest(app, "app.external_data_tool.query", params);
      expect(message).toContain("ping, app.moderation.input, app.moderation.output");
    },
  };
}

/**
 * Calls `point` with a wrong `key`, or without an `Authorization` header when `key` is undefined,
 * and expects a 401 with `WWW-Authenticate: Bearer`.
 */
export async function expectKeyRefused(
  app: ReceiveTarget,
  key: string | undefined,
  point = "ping",
  params: unknown = {},
): Promise<void> {
  const response =
    key === undefined
      ? await fetch(app.receiveUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ point, params }),
        })
      : await difyCall(app.receiveUrl, key, point, params);
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

/**
 * The texts Dify sends to `app.moderation.output` for one streamed answer: the whole prefix every
 * `every` characters (Dify's default buffer is 300), then the full text.
 */
export function streamedCalls(answer: string, every = 300): string[] {
  const calls: string[] = [];
  for (let length = every; length < answer.length; length += every) calls.push(answer.slice(0, length));
  calls.push(answer);
  return calls;
}
