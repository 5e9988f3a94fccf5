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
import { ProtocolError, parseEnvelope, parseParams } from "./requests.ts";

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
});
