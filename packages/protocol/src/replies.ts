import type { ModerationInputParams } from "./requests.ts";

/**
 * Dify's moderation actions, spelled as current Dify expects (Dify before 0.8 spelled the second
 * one `overrided`; current Dify rejects that spelling).
 */
export type ModerationAction = "direct_output" | "overridden";

export interface PingReply {
  result: "pong";
}

/** Reply to `app.moderation.input`. `action` is always present; no field is ever `null`. */
export interface ModerationInputReply {
  flagged: boolean;
  action: ModerationAction;
  preset_response?: string;
  /** With `overridden`: replaces all inputs wholesale, so it carries every variable. */
  inputs?: Record<string, unknown>;
  /** With `overridden`: replaces the query wholesale. */
  query?: string;
}

/** Reply to `app.moderation.output`. */
export interface ModerationOutputReply {
  flagged: boolean;
  action: ModerationAction;
  preset_response?: string;
  /** With `overridden`: replaces the answer wholesale. */
  text?: string;
}

/** Reply to `app.external_data_tool.query`: `result` is always a string. */
export interface ExternalDataToolReply {
  result: string;
}

export type Reply = PingReply | ModerationInputReply | ModerationOutputReply | ExternalDataToolReply;

function requireString(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${what} must be a string, got ${value === null ? "null" : typeof value}`);
  }
  return value;
}

/** `{"result":"pong"}`, exactly what Dify's save check wants. */
export function pong(): PingReply {
  return { result: "pong" };
}

/** A pass: the same reply at both moderation points. */
function passReply() {
  return { flagged: false, action: "direct_output" } as const;
}

/** A block with a preset response: the same reply at both moderation points. */
function blockReply(presetResponse: string) {
  return {
    flagged: true,
    action: "direct_output",
    preset_response: requireString(presetResponse, "preset response"),
  } as const;
}

/** Input moderation: nothing flagged, everything passes unchanged. */
export function inputPass(): ModerationInputReply {
  return passReply();
}

/** Input moderation: the preset response becomes the whole answer; the model is not called. */
export function inputBlock(presetResponse: string): ModerationInputReply {
  return blockReply(presetResponse);
}

/**
 * Input moderation: replace inputs and query. Dify replaces all inputs and the query wholesale, so
 * the reply carries every original input (changed ones replaced) and the full query.
 */
export function inputOverride(
  original: Pick<ModerationInputParams, "inputs" | "query">,
  changes: { inputs?: Record<string, unknown>; query?: string },
): ModerationInputReply {
  // Entries, not assignment: an input named `__proto__` or `constructor` is an ordinary variable.
  const changed = new Map(Object.entries(changes.inputs ?? {}));
  for (const name of changed.keys()) {
    if (!Object.hasOwn(original.inputs, name)) {
      throw new RangeError(`cannot override input "${name}": the request has no such input`);
    }
  }
  const inputs = Object.fromEntries(
    Object.entries(original.inputs).map(([name, value]) => [name, changed.has(name) ? changed.get(name) : value]),
  ) as Record<string, unknown>;
  const query = requireString(changes.query ?? original.query ?? "", "query");
  return { flagged: true, action: "overridden", inputs, query };
}

/** Output moderation: the answer passes unchanged. */
export function outputPass(): ModerationOutputReply {
  return passReply();
}

/** Output moderation: the preset response replaces the answer. */
export function outputBlock(presetResponse: string): ModerationOutputReply {
  return blockReply(presetResponse);
}

/** Output moderation: the given text replaces the whole answer. */
export function outputOverride(text: string): ModerationOutputReply {
  return { flagged: true, action: "overridden", text: requireString(text, "text") };
}

/** External data tool: the context text handed to the model. */
export function externalDataResult(result: string): ExternalDataToolReply {
  return { result: requireString(result, "result") };
}
