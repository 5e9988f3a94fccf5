import type { FailurePolicy } from "@dify-ext/moderation-engines";

/** One engine of the service, and whether it can judge. */
export interface EngineState {
  engine: string;
  ready: boolean;
  /** Why it cannot judge (`OPENAI_API_KEY is not set`). */
  reason?: string;
}

/**
 * Whether a moderation service moderates, for every place a person looks: the start-up line,
 * `GET /readyz`, the playground and the metrics.
 */
export interface ModerationState {
  /** `yes`: every engine can judge; `partly`: some cannot; `no`: none can. */
  moderating: "yes" | "partly" | "no";
  engines: EngineState[];
  /**
   * When not every engine can judge: which cannot and why, and what the failure policy makes of
   * every call (`… let every call through unmoderated`, `… blocks every input call`).
   */
  reason?: string;
}

const onError = (point: "input" | "output", policy: FailurePolicy) =>
  `MODERATION_${point.toUpperCase()}_ON_ERROR=${policy}`;

/** What the failure policy of one point makes of calls an engine that cannot judge is part of. */
function consequence(point: "input" | "output", policy: FailurePolicy, none: boolean): string {
  if (policy === "closed") return `${onError(point, policy)} blocks every ${point} call`;
  return none
    ? `${onError(point, policy)} lets every ${point} call through unmoderated`
    : `${onError(point, policy)} lets ${point} calls through without its verdict`;
}

/**
 * The service's state from its engines' and the default policy's failure policy at each point.
 * (Apps with policies of their own in MODERATION_POLICY_FILE may fail otherwise.)
 */
export function moderationState(
  engines: readonly EngineState[],
  failure: { input: FailurePolicy; output: FailurePolicy },
): ModerationState {
  const broken = engines.filter((engine) => !engine.ready);
  if (broken.length === 0) return { moderating: "yes", engines: [...engines] };
  const none = broken.length === engines.length;
  const which = broken
    .map((engine) => `the ${engine.engine} engine cannot judge${engine.reason ? ` (${engine.reason})` : ""}`)
    .join(", and ");
  const still = none
    ? ""
    : `; ${engines
        .filter((engine) => engine.ready)
        .map((engine) => engine.engine)
        .join(", ")} still judge${engines.length - broken.length === 1 ? "s" : ""}`;
  const what =
    failure.input === failure.output && failure.input === "open" && none
      ? `${onError("input", "open")} and ${onError("output", "open")} let every call through unmoderated`
      : `${consequence("input", failure.input, none)}, ${consequence("output", failure.output, none)}`;
  return {
    moderating: none ? "no" : "partly",
    engines: [...engines],
    reason: `${none ? "not moderating" : "partly moderating"}: ${which}${still}; ${what}`,
  };
}

/**
 * The start-up line's words and fields: `moderating with keywords, pii`, or `NOT MODERATING: the
 * openai engine cannot judge (OPENAI_API_KEY is not set); … let every call through unmoderated`.
 */
export function serviceState(state: ModerationState): {
  ok: boolean;
  summary: string;
  fields: Record<string, unknown>;
} {
  const engines = state.engines.map((engine) => engine.engine);
  const fields = { engines, moderating: state.moderating, ...(state.reason && { reason: state.reason }) };
  if (state.moderating === "yes") return { ok: true, summary: `moderating with ${engines.join(", ")}`, fields };
  // Shouted: this is the line a person skimming the start-up output must not miss.
  const [head, ...rest] = state.reason!.split(": ");
  return { ok: false, summary: `${head!.toUpperCase()}: ${rest.join(": ")}`, fields };
}
