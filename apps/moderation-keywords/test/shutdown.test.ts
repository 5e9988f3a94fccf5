import { Agent, type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { afterAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "shutdown-key-0123456789";
const CLIENTS = 16;
const BODY = JSON.stringify({
  point: "app.moderation.input",
  params: { app_id: "a", inputs: { t: "a shit day", n: 1 }, query: "hi" },
});
const EXPECTED = JSON.stringify({
  flagged: true,
  action: "overridden",
  inputs: { t: "a **** day", n: 1 },
  query: "hi",
});

type Outcome =
  | { kind: "ok"; started: number; ended: number; headers: IncomingHttpHeaders; id: string }
  | { kind: "refused" }
  | { kind: "reset"; code: string; slow: boolean; started: number; ended: number; id: string }
  | { kind: "wrong"; status: number; body: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One Dify-style call. With `pauseMs`, the body is sent in two halves with a pause between them, so
 * the request is in the server's hands (headers parsed, handler waiting for the body) for that long.
 */
let sequence = 0;

function call(port: number, options: { pauseMs?: number; agent?: Agent | false } = {}): Promise<Outcome> {
  const started = performance.now();
  // The id goes into the service's access log line, which tells whether the service ever read this request.
  const id = `shutdown-${++sequence}`;
  return new Promise<Outcome>((resolve) => {
    const request = httpRequest({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/api/dify/receive",
      agent: options.agent ?? false,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(BODY),
        authorization: `Bearer ${KEY}`,
        "x-request-id": id,
      },
    });
    const reset = (error: NodeJS.ErrnoException): Outcome => ({
      kind: "reset",
      code: error.code ?? error.message,
      slow: Boolean(options.pauseMs),
      started,
      ended: performance.now(),
      id,
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      resolve(error.code === "ECONNREFUSED" ? { kind: "refused" } : reset(error));
    });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("error", (error: NodeJS.ErrnoException) => resolve(reset(error)));
      response.on("end", () => {
        if (response.statusCode === 200 && body === EXPECTED)
          resolve({ kind: "ok", started, ended: performance.now(), headers: response.headers, id });
        else resolve({ kind: "wrong", status: response.statusCode ?? 0, body: body.slice(0, 200) });
      });
    });
    const half = Math.floor(BODY.length / 2);
    if (options.pauseMs) {
      request.write(BODY.slice(0, half));
      setTimeout(() => request.end(BODY.slice(half)), options.pauseMs);
    } else {
      request.end(BODY);
    }
  });
}

describe("graceful shutdown of the real process under load", () => {
  const apps: AppProcess[] = [];
  afterAll(async () => {
    for (const app of apps) await app.stop("SIGKILL");
  });
  /** Starts the app (killed after the suite if a test left it running) and the promise of its exit code. */
  async function start() {
    const app = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, KEYWORDS_WATCH: "false", MODERATION_INPUT_ACTION: "mask" },
      startTimeoutMs: 60_000,
    });
    apps.push(app);
    const exited = new Promise<number | null>((resolve) => app.child.once("exit", (code) => resolve(code)));
    return { app, exited };
  }

  it(`SIGTERM with ${CLIENTS} clients calling on new connections: every request the service read gets its 200, none a reset, exit 0`, async () => {
    const { app, exited } = await start();
    let sigtermAt = Number.POSITIVE_INFINITY;
    let stopped = false;
    const outcomes: Outcome[] = [];

    // Half the clients send their bodies in two halves 150 ms apart, so requests are in flight
    // when SIGTERM arrives; the other half call back to back as fast as they can.
    const clients = Array.from({ length: CLIENTS }, async (_, index) => {
      while (!stopped) {
        const outcome = await call(app.port, index % 2 === 0 ? { pauseMs: 150 } : {});
        outcomes.push(outcome);
        if (outcome.kind === "refused") break;
      }
    });
    await sleep(700);
    sigtermAt = performance.now();
    app.child.kill("SIGTERM");
    const code = await exited;
    stopped = true;
    await Promise.all(clients);

    const ok = outcomes.filter((o): o is Extract<Outcome, { kind: "ok" }> => o.kind === "ok");
    const inFlightAtSigterm = ok.filter((o) => o.started < sigtermAt && o.ended > sigtermAt).length;
    // Request ids the service read and answered (its access log); a reset of any of them is a failure.
    const seen = new Set(
      app.output.flatMap((line) => {
        const match = /"reqId":"(shutdown-\d+)"/.exec(line);
        return match ? [match[1]] : [];
      }),
    );
    // Times relative to SIGTERM, so a failure says when each reset call started and ended.
    const resets = outcomes
      .filter((o): o is Extract<Outcome, { kind: "reset" }> => o.kind === "reset")
      .map((o) => ({ ...o, started: Math.round(o.started - sigtermAt), ended: Math.round(o.ended - sigtermAt) }));
    const resetAfterAccept = resets.filter((o) => seen.has(o.id));
    // Connections the kernel had completed but the process had not accepted yet when the listener
    // closed are reset by the kernel: the service never read those requests (see docs/operations.md).
    const droppedFromBacklog = resets.filter((o) => !seen.has(o.id));
    const wrong = outcomes.filter((o) => o.kind === "wrong");
    const refused = outcomes.filter((o) => o.kind === "refused").length;
    console.log(
      `shutdown under load: ${outcomes.length} calls, ${ok.length} answered 200 (${inFlightAtSigterm} of them in flight at SIGTERM, finished after it), ` +
        `${refused} refused (ECONNREFUSED) after the listener closed, ${droppedFromBacklog.length} reset before the service read them ` +
        `(listen backlog at close), ${resetAfterAccept.length} reset after the service read them, ${wrong.length} other answers; exit code ${code}`,
    );
    expect(resetAfterAccept).toEqual([]);
    // At most one connection per client can be waiting in the backlog when the listener closes.
    expect(droppedFromBacklog.length).toBeLessThanOrEqual(CLIENTS);
    expect(ok.every((o) => seen.has(o.id))).toBe(true);
    expect(wrong).toEqual([]);
    expect(inFlightAtSigterm).toBeGreaterThan(0);
    expect(code).toBe(0);
    expect(app.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  }, 60_000);

  it("a keep-alive client gets `connection: close` on the answer in flight at SIGTERM, not a reset", async () => {
    const { app, exited } = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const connections = new Set<unknown>();
    agent.on("free", (socket) => connections.add(socket));

    const first = await call(app.port, { agent });
    expect(first).toMatchObject({ kind: "ok" });
    expect((first as Extract<Outcome, { kind: "ok" }>).headers.connection).toBe("keep-alive");
    // The second call reuses the connection; SIGTERM arrives while its body is still on the way.
    // The body's second half comes 1.5 s later, so SIGTERM is handled while it is on the way even on a busy machine.
    const second = call(app.port, { agent, pauseMs: 1500 });
    await sleep(150);
    app.child.kill("SIGTERM");
    const answer = await second;
    expect(answer).toMatchObject({ kind: "ok" });
    expect((answer as Extract<Outcome, { kind: "ok" }>).headers.connection).toBe("close");
    expect(connections.size).toBe(1);
    expect(await exited).toBe(0);
    // Afterwards the client opens a new connection, which is refused: the service is gone.
    expect(await call(app.port, { agent })).toEqual({ kind: "refused" });
    agent.destroy();
  }, 60_000);
});
