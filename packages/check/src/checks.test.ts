import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { loadedBudgetMs } from "@dify-ext/test-support/budget";
import { afterEach, describe, expect, it } from "vitest";
import { type CheckReport, runChecks } from "./checks.ts";

const KEY = "check-test-key-12345";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  socket: unknown;
}

type Reply = { status?: number; body: string | Buffer; headers?: Record<string, string>; delayMs?: number };
type Handler = (call: { point: string; params: Record<string, unknown>; authorized: boolean }) => Reply;

const json = (value: unknown, status = 200): Reply => ({
  status,
  body: JSON.stringify(value),
  headers: { "content-type": "application/json" },
});

const BAD_WORDS = /fuck|shit|damn/gi;
const mask = (text: string) => text.replace(BAD_WORDS, (word) => "*".repeat(word.length));

/** A small but correct extension: masks a few words, answers the external data tool. */
const correct: Handler = ({ point, params, authorized }) => {
  if (!authorized) return json({ error: "invalid API key" }, 401);
  if (point === "ping") return json({ result: "pong" });
  if (point === "app.moderation.input") {
    const query = String(params.query);
    const inputs = Object.fromEntries(
      Object.entries(params.inputs as Record<string, unknown>).map(([name, value]) => [
        name,
        typeof value === "string" ? mask(value) : value,
      ]),
    );
    const flagged = mask(query) !== query || JSON.stringify(inputs) !== JSON.stringify(params.inputs);
    return json(
      flagged ? { flagged, action: "overridden", inputs, query: mask(query) } : { flagged, action: "direct_output" },
    );
  }
  if (point === "app.moderation.output") {
    const text = String(params.text);
    return json(
      mask(text) !== text
        ? { flagged: true, action: "overridden", text: mask(text) }
        : { flagged: false, action: "direct_output" },
    );
  }
  if (point === "app.external_data_tool.query")
    return json({ result: `It is sunny in ${String((params.inputs as Record<string, unknown>).city ?? "town")}.` });
  return json({ error: "unknown point" }, 400);
};

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startExtension(handler: Handler): Promise<{ url: string; received: Received[]; origin: string }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, socket: req.socket });
      let envelope: { point: string; params: Record<string, unknown> };
      try {
        envelope = JSON.parse(body);
      } catch {
        res.writeHead(400).end("bad json");
        return;
      }
      const reply = handler({ ...envelope, authorized: req.headers.authorization === `Bearer ${KEY}` });
      const send = () => res.writeHead(reply.status ?? 200, reply.headers).end(reply.body);
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/api/dify/receive?team=a`, received, origin };
}

const byName = (report: CheckReport, name: string) => {
  const result = report.results.find((r) => r.name === name);
  if (!result) throw new Error(`no check named ${name}: ${report.results.map((r) => r.name).join(", ")}`);
  return result;
};

describe("a correct extension", () => {
  it("passes every check, and is called exactly as Dify calls it", async () => {
    const extension = await startExtension(correct);
    const report = await runChecks({ url: extension.url, key: KEY, inputs: { city: "Oslo" }, toolVariable: "weather" });
    expect(report.results.filter((r) => r.status !== "PASS")).toEqual([
      expect.objectContaining({ name: "moderation-output: own preset response", status: "SKIP" }),
    ]);
    expect(report.ok).toBe(true);
    expect(byName(report, "external-data-tool: query").detail).toBe('result: "It is sunny in Oslo."');

    const first = extension.received[0]!;
    expect(first.method).toBe("POST");
    expect(first.url).toBe("/api/dify/receive?team=a");
    expect(first.body).toBe('{"point": "ping", "params": {}}');
    expect(first.headers).toMatchObject({
      "content-type": "application/json",
      authorization: `Bearer ${KEY}`,
      "user-agent": "python-httpx/0.27.0",
      "accept-encoding": "gzip, deflate",
    });
    // A new connection for every call.
    expect(new Set(extension.received.map((r) => r.socket)).size).toBe(extension.received.length);

    const streamed = extension.received
      .filter((r) => r.body.includes('"app.moderation.output"'))
      .map((r) => JSON.parse(r.body).params.text as string);
    const full = streamed.at(-1)!;
    // Clean text, profanity, then the growing answer: 300, 600, ... characters, then all of it.
    expect(streamed.slice(2).map((text) => text.length)).toEqual([
      ...Array.from({ length: Math.floor((full.length - 1) / 300) }, (_, i) => (i + 1) * 300),
      full.length,
    ]);
    for (const text of streamed.slice(2)) expect(full.startsWith(text)).toBe(true);

    const withFile = extension.received.map((r) => JSON.parse(r.body)).find((b) => b.params?.inputs?.attachment);
    expect(withFile.params.inputs).toMatchObject({ count: 3, subscribed: true, tags: ["shit", "garden", 7] });
  });

  it("decompresses gzip replies as httpx does", async () => {
    const extension = await startExtension((call) => {
      const reply = correct(call);
      return { ...reply, body: gzipSync(reply.body), headers: { ...reply.headers, "content-encoding": "gzip" } };
    });
    expect((await runChecks({ url: extension.url, key: KEY })).ok).toBe(true);
  });
});

describe("broken extensions, each reported with Dify's own message", () => {
  const broken =
    (change: (call: Parameters<Handler>[0]) => Reply | undefined): Handler =>
    (call) =>
      change(call) ?? correct(call);

  it("a missing action", async () => {
    const extension = await startExtension(
      broken(({ point }) => (point === "app.moderation.input" ? json({ flagged: false }) : undefined)),
    );
    const report = await runChecks({ url: extension.url, key: KEY, points: ["moderation-input"] });
    const clean = byName(report, "moderation-input: clean text");
    expect(clean.status).toBe("FAIL");
    expect(clean.difyError).toMatch(
      /^1 validation error for ModerationInputsResult\naction\n {2}Field required \[type=missing, input_value=\{'flagged': False\}, input_type=dict\]/,
    );
    expect(clean.problems).toContain("action is missing: Dify requires it even when flagged is false");
    expect(report.ok).toBe(false);
  });

  it("a null query, the old spelling, and an override that drops or changes inputs", async () => {
    const extension = await startExtension(
      broken(({ point, params }) => {
        if (point !== "app.moderation.input") return undefined;
        if (String(params.query).startsWith("How"))
          return json({ flagged: true, action: "overridden", inputs: params.inputs, query: null });
        if (String(params.query).startsWith("You"))
          return json({ flagged: true, action: "overrided", inputs: params.inputs, query: "x" });
        return json({
          flagged: true,
          action: "overridden",
          inputs: { note: "***", count: "3", tags: ["****", "garden", 7] },
          query: "ok",
        });
      }),
    );
    const report = await runChecks({ url: extension.url, key: KEY, points: ["moderation-input"] });
    const nullQuery = byName(report, "moderation-input: clean text");
    expect(nullQuery.difyError).toContain(
      "query\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]",
    );
    expect(nullQuery.problems).toContain("query is null: Dify rejects null, omit the field instead");
    expect(byName(report, "moderation-input: profanity").difyError).toContain(
      "Input should be 'direct_output' or 'overridden' [type=enum, input_value='overrided', input_type=str]",
    );
    const nonText = byName(report, "moderation-input: non-text inputs");
    expect(nonText.status).toBe("FAIL");
    expect(nonText.difyError).toBeUndefined();
    expect(nonText.problems.join("\n")).toMatch(/lack "attachment"/);
    expect(nonText.problems.join("\n")).toMatch(/changed the non-text input "count": sent 3, got "3"/);
  });

  it("a wrapped pong", async () => {
    const extension = await startExtension(
      broken(({ point }) => (point === "ping" ? json({ data: { result: "pong" } }) : undefined)),
    );
    const ping = byName(await runChecks({ url: extension.url, key: KEY }), "ping");
    expect(ping.status).toBe("FAIL");
    expect(ping.difyError).toBe("connection error: {'data': {'result': 'pong'}}");
  });

  it("status 201, and the rest is not run", async () => {
    const extension = await startExtension(
      broken(({ point }) => (point === "ping" ? json({ result: "pong" }, 201) : undefined)),
    );
    const report = await runChecks({ url: extension.url, key: KEY });
    expect(byName(report, "ping").difyError).toBe(
      'connection error: request error, status_code: 201, content: {"result":"pong"}',
    );
    expect(byName(report, "moderation-input: clean text")).toMatchObject({
      status: "SKIP",
      detail: "not run: the ping did not get a 200 reply",
    });
  });

  it("a 307 redirect is not followed", async () => {
    const extension = await startExtension(() => ({ status: 307, body: "", headers: { location: "/elsewhere" } }));
    const report = await runChecks({ url: extension.url, key: KEY });
    const ping = byName(report, "ping");
    expect(ping.difyError).toBe("connection error: request error, status_code: 307, content: ");
    expect(ping.problems.join()).toMatch(/Dify does not follow redirects/);
    expect(extension.received.map((r) => r.url)).not.toContain("/elsewhere");
  });

  it("a non-string or missing result", async () => {
    const extension = await startExtension(
      broken(({ point, params }) =>
        point === "app.external_data_tool.query" ? json(params.query ? { result: 42 } : { text: "sunny" }) : undefined,
      ),
    );
    const report = await runChecks({
      url: extension.url,
      key: KEY,
      points: ["external-data-tool"],
      toolVariable: "weather",
    });
    expect(byName(report, "external-data-tool: query").difyError).toBe(
      "[External data tool] API query failed, variable: weather, error: result is not string",
    );
    expect(byName(report, "external-data-tool: empty query").difyError).toBe(
      "[External data tool] API query failed, variable: weather, error: result not found in response",
    );
  });

  it("a service that accepts any key", async () => {
    const extension = await startExtension((call) => correct({ ...call, authorized: true }));
    const report = await runChecks({ url: extension.url, key: KEY, points: [] });
    expect(byName(report, "ping").status).toBe("PASS");
    const wrong = byName(report, "ping with a wrong key");
    expect(wrong.status).toBe("FAIL");
    expect(wrong.problems.join()).toMatch(/answered pong to a wrong key/);
    expect(extension.received[1]!.headers.authorization).toMatch(/^Bearer dify-ext-check-wrong-/);
  });

  it("a 200 that is not JSON", async () => {
    const extension = await startExtension(broken(({ point }) => (point === "ping" ? { body: "pong" } : undefined)));
    const ping = byName(await runChecks({ url: extension.url, key: KEY }), "ping");
    expect(ping.difyError).toBe("connection error: Expecting value: line 1 column 1 (char 0)");
    expect(ping.problems).toContain("the body of a 200 reply is not JSON");
  });

  it("a slow service beyond the read timeout", async () => {
    const extension = await startExtension(
      broken(({ point }) => (point === "ping" ? { ...json({ result: "pong" }), delayMs: 3_000 } : undefined)),
    );
    const started = Date.now();
    const report = await runChecks({ url: extension.url, key: KEY, readTimeoutMs: 300 });
    const ping = byName(report, "ping");
    expect(ping.difyError).toBe("connection error: request timeout");
    expect(ping.problems.join()).toMatch(/no reply within 300 ms/);
    // The check waits for the read timeout at most twice; room for a busy machine on top.
    expect(Date.now() - started).toBeLessThan(loadedBudgetMs(300 * 2));
  });

  it("nothing listening", async () => {
    const extension = await startExtension(correct);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const ping = byName(await runChecks({ url: extension.url, key: KEY }), "ping");
    expect(ping.difyError).toBe("connection error: request connection error");
  });

  it("an unsupported point is skipped by default and fails when asked for", async () => {
    const extension = await startExtension(
      broken(({ point }) => (point === "app.external_data_tool.query" ? json({ error: "no" }, 400) : undefined)),
    );
    const auto = await runChecks({ url: extension.url, key: KEY });
    expect(byName(auto, "external-data-tool: query")).toMatchObject({
      status: "SKIP",
      detail: "not supported: request error, status_code: 400",
    });
    expect(auto.ok).toBe(true);
    const asked = await runChecks({ url: extension.url, key: KEY, points: ["external-data-tool"] });
    expect(byName(asked, "external-data-tool: query").difyError).toBe(
      'request error, status_code: 400, content: {"error":"no"}',
    );
    expect(asked.ok).toBe(false);
  });

  it("a streamed answer whose later calls break", async () => {
    const extension = await startExtension(
      broken(({ point, params }) =>
        point === "app.moderation.output" && String(params.text).length > 600
          ? json({ flagged: false, action: "direct_output", text: null })
          : undefined,
      ),
    );
    const report = await runChecks({ url: extension.url, key: KEY, points: ["moderation-output"] });
    const streamed = byName(report, "moderation-output: streamed answer");
    expect(streamed.status).toBe("FAIL");
    expect(streamed.problems[0]).toMatch(/^call 3 of \d+ \(900 characters\): text is null/);
    expect(streamed.difyError).toContain(
      "1 validation error for ModerationOutputsResult\ntext\n  Input should be a valid string",
    );
  });
});
