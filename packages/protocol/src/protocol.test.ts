import { describe, expect, it } from "vitest";
import { difyReplyProblems } from "./dify-rules.ts";
import {
  externalDataResult,
  inputBlock,
  inputOverride,
  inputPass,
  outputBlock,
  outputOverride,
  outputPass,
  pong,
} from "./replies.ts";
import { APP_ID_MAX_LENGTH, ProtocolError, parseEnvelope, parseParams } from "./requests.ts";

const request = { app_id: "app", inputs: { name: "Ann", age: 7, file: { url: "https://x" } }, query: "hello" };

describe("reply builders produce only what Dify accepts", () => {
  it("ping", () => {
    expect(JSON.stringify(pong())).toBe('{"result":"pong"}');
    expect(difyReplyProblems("ping", pong())).toEqual([]);
  });

  it("input moderation, every shape", () => {
    for (const reply of [inputPass(), inputBlock("No."), inputOverride(request, { inputs: { name: "***" } })]) {
      expect(difyReplyProblems("app.moderation.input", reply, request)).toEqual([]);
      expect(reply.action).toBeDefined();
      expect(Object.values(reply)).not.toContain(null);
    }
  });

  it("overriding carries every input and the full query", () => {
    const reply = inputOverride(request, { inputs: { name: "***" } });
    expect(reply).toEqual({
      flagged: true,
      action: "overridden",
      inputs: { name: "***", age: 7, file: { url: "https://x" } },
      query: "hello",
    });
    expect(inputOverride(request, { query: "h***o" }).inputs).toEqual(request.inputs);
  });

  it("refuses to override an input the request does not have", () => {
    expect(() => inputOverride(request, { inputs: { other: "x" } })).toThrow(/no such input/);
  });

  it("output moderation, every shape", () => {
    for (const reply of [outputPass(), outputBlock("No."), outputOverride("t***t")]) {
      expect(difyReplyProblems("app.moderation.output", reply)).toEqual([]);
    }
  });

  it("external data tool results are always strings", () => {
    expect(difyReplyProblems("app.external_data_tool.query", externalDataResult("sunny"))).toEqual([]);
    expect(() => externalDataResult(42 as unknown as string)).toThrow(/must be a string/);
    expect(() => outputBlock(null as unknown as string)).toThrow(/must be a string, got null/);
  });
});

describe("Dify's rules catch what Dify rejects", () => {
  const problems = (point: Parameters<typeof difyReplyProblems>[0], reply: unknown, params?: unknown) =>
    difyReplyProblems(point, reply, params).join("\n");

  it("a wrapped or misspelled pong", () => {
    expect(problems("ping", { data: { result: "pong" } })).toMatch(/must answer/);
    expect(problems("ping", { result: "Pong" })).toMatch(/must answer/);
    expect(problems("ping", "pong")).toMatch(/JSON object/);
  });

  it("a missing action, the old spelling, null fields", () => {
    expect(problems("app.moderation.input", { flagged: false })).toMatch(/action is missing/);
    expect(problems("app.moderation.input", { flagged: true, action: "overrided", inputs: {}, query: "" })).toMatch(
      /overrided/,
    );
    expect(problems("app.moderation.output", { flagged: false, action: "direct_output", text: null })).toMatch(
      /text is null/,
    );
  });

  it("an override that drops inputs or the query", () => {
    expect(
      problems("app.moderation.input", { flagged: true, action: "overridden", inputs: { name: "x" } }, request),
    ).toMatch(/without query[\s\S]*lack "age"/);
    expect(problems("app.moderation.output", { flagged: true, action: "overridden" })).toMatch(/without text/);
  });

  it("a non-string or missing result", () => {
    expect(problems("app.external_data_tool.query", { result: 3 })).toBe("result is not string");
    expect(problems("app.external_data_tool.query", {})).toBe("result not found in response");
  });
});

describe("request parsing", () => {
  function fieldError(run: () => unknown): ProtocolError {
    try {
      run();
    } catch (error) {
      if (error instanceof ProtocolError) return error;
      throw error;
    }
    throw new Error("expected a ProtocolError");
  }

  it("accepts Dify's requests", () => {
    expect(parseEnvelope({ point: "ping", params: {} })).toEqual({ point: "ping", params: {} });
    expect(parseParams("app.moderation.input", { app_id: "a", inputs: { x: 1 }, query: "" })).toEqual({
      app_id: "a",
      inputs: { x: 1 },
      query: "",
    });
    expect(parseParams("app.moderation.output", { app_id: "a", text: "t" })).toEqual({ app_id: "a", text: "t" });
    expect(
      parseParams("app.external_data_tool.query", { app_id: "a", tool_variable: "w", inputs: {}, query: null }),
    ).toEqual({
      app_id: "a",
      tool_variable: "w",
      inputs: {},
      query: "",
    });
  });

  it("names the field and what was expected", () => {
    expect(fieldError(() => parseEnvelope("x")).message).toBe("the body must be a JSON object, got string");
    expect(fieldError(() => parseEnvelope({ point: ["ping"] })).field).toBe("point");
    expect(fieldError(() => parseEnvelope({ point: "app.moderation.input", params: [] })).message).toBe(
      "params: expected an object, got array",
    );
    const inputs = fieldError(() => parseParams("app.moderation.input", { inputs: [], query: "" }));
    expect(inputs.field).toBe("params.inputs");
    expect(inputs.message).toBe("params.inputs: expected an object, got array");
    expect(fieldError(() => parseParams("app.moderation.output", {})).message).toBe(
      "params.text: required, expected a string",
    );
    expect(fieldError(() => parseParams("app.external_data_tool.query", { tool_variable: 1 })).message).toBe(
      "params.tool_variable: expected a string, got number",
    );
  });

  it("refuses an app_id longer than any Dify sends, naming the limit, at every point", () => {
    const uuid = "0d9f2c1e-7a3b-4c5d-8e9f-0a1b2c3d4e5f";
    const longest = "a".repeat(APP_ID_MAX_LENGTH);
    expect(parseParams("app.moderation.output", { app_id: uuid, text: "t" }).app_id).toBe(uuid);
    expect(parseParams("app.moderation.output", { app_id: longest, text: "t" }).app_id).toBe(longest);
    const huge = "x".repeat(900 * 1024);
    for (const [point, params] of [
      ["app.moderation.input", { app_id: huge, inputs: {}, query: "" }],
      ["app.moderation.output", { app_id: huge, text: "t" }],
      ["app.external_data_tool.query", { app_id: huge, inputs: {}, query: "" }],
    ] as const) {
      const error = fieldError(() => parseParams(point, params));
      expect(error.field).toBe("params.app_id");
      expect(error.message).toBe(
        `params.app_id: ${huge.length} characters long; the limit is ${APP_ID_MAX_LENGTH} (Dify sends 36-character UUIDs)`,
      );
    }
  });
});
