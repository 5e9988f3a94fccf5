import { describe, expect, it } from "vitest";
import {
  difyExternalDataError,
  difyModerationInputError,
  difyModerationOutputError,
  difyPingError,
  PYDANTIC_DOCS_VERSION,
} from "./dify-view.ts";

const ok = (json: unknown) => ({ ok: true as const, json });
const link = (type: string) =>
  `    For further information visit https://errors.pydantic.dev/${PYDANTIC_DOCS_VERSION}/v/${type}`;

// Expected texts were produced by pydantic 2 with Dify's ModerationInputsResult / ModerationOutputsResult.
describe("Dify's moderation models", () => {
  it("a missing action", () => {
    expect(difyModerationInputError(ok({ flagged: false }))).toBe(
      [
        "1 validation error for ModerationInputsResult",
        "action",
        "  Field required [type=missing, input_value={'flagged': False}, input_type=dict]",
        link("missing"),
      ].join("\n"),
    );
  });

  it("the old spelling and a null query", () => {
    expect(difyModerationInputError(ok({ flagged: true, action: "overrided", inputs: {}, query: null }))).toBe(
      [
        "2 validation errors for ModerationInputsResult",
        "action",
        "  Input should be 'direct_output' or 'overridden' [type=enum, input_value='overrided', input_type=str]",
        link("enum"),
        "query",
        "  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]",
        link("string_type"),
      ].join("\n"),
    );
  });

  it("lax booleans pass, other values fail as pydantic says", () => {
    expect(difyModerationInputError(ok({ flagged: "yes", action: "direct_output" }))).toBeNull();
    expect(difyModerationInputError(ok({ flagged: 1, action: "direct_output" }))).toBeNull();
    expect(difyModerationOutputError(ok({ flagged: 2, action: "direct_output" }))).toContain(
      "flagged\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value=2, input_type=int]",
    );
    expect(
      difyModerationOutputError(
        ok({
          flagged: [],
          action: "direct_output",
          text: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3],
        }),
      ),
    ).toContain(
      "text\n  Input should be a valid string [type=string_type, input_value=[1, 2, 3, 1, 2, 3, 1, 2, ... 2, 3, 1, 2, 3, 1, 2, 3], input_type=list]",
    );
  });

  it("long input values are cut as pydantic cuts them", () => {
    expect(difyModerationOutputError(ok({ flagged: false, text: "a".repeat(60) }))).toContain(
      "input_value={'flagged': False, 'text'...aaaaaaaaaaaaaaaaaaaaaa'}, input_type=dict]",
    );
  });

  it("a reply that is not an object", () => {
    expect(difyModerationInputError(ok([1]))).toBe(
      "core.moderation.base.ModerationInputsResult() argument after ** must be a mapping, not list",
    );
  });

  it("transport errors pass through unchanged", () => {
    expect(difyModerationOutputError({ ok: false, error: "request timeout" })).toBe("request timeout");
  });
});

describe("Dify's ping and external data tool", () => {
  it("ping", () => {
    expect(difyPingError(ok({ result: "pong" }))).toBeNull();
    expect(difyPingError(ok({ data: { result: "pong" } }))).toBe("connection error: {'data': {'result': 'pong'}}");
    expect(difyPingError(ok("pong"))).toBe("connection error: 'str' object has no attribute 'get'");
    expect(difyPingError({ ok: false, error: "request timeout" })).toBe("connection error: request timeout");
  });

  it("external data tool", () => {
    expect(difyExternalDataError("weather", ok({ result: "sunny" }))).toBeNull();
    expect(difyExternalDataError("weather", ok({ data: "sunny" }))).toBe(
      "[External data tool] API query failed, variable: weather, error: result not found in response",
    );
    expect(difyExternalDataError("weather", ok({ result: null }))).toBe(
      "[External data tool] API query failed, variable: weather, error: result is not string",
    );
    expect(difyExternalDataError("weather", ok("the result"))).toBe("string indices must be integers, not 'str'");
    expect(difyExternalDataError("weather", ok(3))).toBe("argument of type 'int' is not iterable");
  });
});
