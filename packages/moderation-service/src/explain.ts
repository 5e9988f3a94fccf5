import {
  createStreamCache,
  DEFAULT_STREAM_CACHE_BYTES,
  type ModerationEngine,
  maskSpans,
  OTHER_CATEGORY,
  type PolicyCallContext,
  type PolicyTrace,
  type StreamCache,
} from "@dify-ext/moderation-engines";
import type {
  ExplainCall,
  ExplainFinding,
  ExplainList,
  ExplainReport,
  ExplainText,
  StreamedCall,
} from "@dify-ext/playground/report";
import { type HandlerContext, HttpError } from "@dify-ext/receive";
import type { ExplainRequest } from "@dify-ext/protocol";
import type { ModerationHandlers } from "./handlers.ts";
import type { ModerationState } from "./state.ts";

/** Most calls a streamed replay makes: each judges the whole answer so far. */
export const MAX_STREAMED_CALLS = 200;

/**
 * With an engine that judges whole texts only (OpenAI, a guard model), the calls replayed carry at
 * most this many times the answer's length in all: the last call, and calls at about half, a
 * quarter, an eighth… of the answer, and the first. (Replaying all 200 calls of a long answer would
 * send it upstream 200 times, 100 times its length.)
 */
export const WHOLE_TEXT_REPLAY_BUDGET = 3;

/** Lets the event loop answer other requests (pings, Dify's calls) between two replayed calls. */
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/** A call's context with a trace: the request's id and logger, its own log fields. */
type TracedContext = HandlerContext & PolicyCallContext;

/**
 * The playground's explain: runs a call through the same handlers Dify's calls take (so the
 * policy an `app_id` selects, the engines, the failure policy and LOG_USER_TEXT all apply as they
 * would), with a trace of what the policy did, and reports the reply with every finding, the
 * masked texts, each engine's time and the lists loaded. A streamed request replays Dify's output
 * moderation calls, the answer so far every `bufferSize` characters and then the whole answer:
 * engines with incremental judging (keywords, obscenity, pii) rescan only each call's new end, the
 * event loop is let go between calls, and with an engine that judges whole texts only (OpenAI, a
 * guard model) only some calls are replayed ({@link sparseReplay}). No call holds the event loop
 * longer than one judgement of the whole answer.
 */
export function createExplainer(
  handlers: ModerationHandlers,
  /** The engines of the policy an `app_id` gets (its lists are what the report shows). */
  enginesFor: (appId: string | undefined) => readonly ModerationEngine[],
  /** Whether the service moderates: a report says when it cannot fully. */
  state: () => ModerationState = () => ({ moderating: "yes", engines: [] }),
): (request: ExplainRequest, context: HandlerContext) => Promise<ExplainReport> {
  function notModerating(): Pick<ExplainReport, "notModerating"> {
    const now = state();
    return now.moderating === "yes" || now.reason === undefined
      ? {}
      : { notModerating: { moderating: now.moderating, reason: now.reason } };
  }

  async function explainCall(
    request: Pick<ExplainRequest, "point" | "params">,
    context: HandlerContext,
    logFields: Record<string, unknown>,
    streamCache?: StreamCache,
  ): Promise<ExplainCall> {
    let trace: PolicyTrace | undefined;
    const traced: TracedContext = {
      requestId: context.requestId,
      get logger() {
        return context.logger;
      },
      logFields,
      trace: (reported) => {
        trace = reported;
      },
      ...(streamCache && { streamCache }),
    };
    const reply =
      request.point === "app.moderation.input"
        ? await handlers["app.moderation.input"](request.params as never, traced)
        : await handlers["app.moderation.output"](request.params as never, traced);
    if (!trace) throw new Error("the moderation policy reported no trace for an explain call");
    const judged: PolicyTrace = trace;
    const found = new Set<string>();
    return {
      point: request.point,
      appId: request.params.app_id ?? null,
      reply: reply as unknown as Record<string, unknown>,
      verdict: typeof logFields.verdict === "string" ? logFields.verdict : "pass",
      action: trace.action,
      texts: textsOf(trace),
      engines: trace.runs.map((run) => {
        const categories = new Set<string>();
        const rules = new Set<string>();
        for (const verdict of run.verdicts ?? []) {
          if (!verdict.flagged) continue;
          for (const category of verdict.categories) categories.add(category);
          for (const finding of verdict.findings) if (finding.category) categories.add(finding.category);
          for (const rule of verdict.rules ?? []) rules.add(rule);
        }
        for (const category of categories) found.add(category);
        return {
          engine: run.engine,
          ms: Math.round(run.ms * 1000) / 1000,
          flagged: run.verdicts?.some((verdict) => verdict.flagged) ?? false,
          categories: [...categories],
          ...(rules.size > 0 && { rules: [...rules] }),
          ...(run.error === undefined ? {} : { error: run.error }),
        };
      }),
      categories: [...found].map((category) => ({ category, action: judged.actionOf(category) })),
    };
  }

  function lists(appId: string | undefined): ExplainList[] {
    const found: ExplainList[] = [];
    for (const engine of enginesFor(appId)) {
      const description = engine.describe?.();
      if (!description) continue;
      for (const list of description.lists) {
        found.push({
          engine: description.engine,
          ...list,
          ...(description.loadedAt === undefined ? {} : { loadedAt: description.loadedAt }),
        });
      }
    }
    return found;
  }

  return async function explain(request, context) {
    if (request.mode === "single") {
      const call = await explainCall(request, context, context.logFields);
      return { ...notModerating(), ...call, mode: "single", lists: lists(request.params.app_id) };
    }
    const { text } = request.params;
    const ends = streamedCallEnds(text, request.bufferSize);
    // Engines that judge incrementally rescan only the end of each call's text: the replay keeps
    // their judgements in a cache of its own. Engines that cannot are given only some of the calls.
    const wholeText = enginesFor(request.params.app_id)
      .filter((engine) => engine.incremental === undefined)
      .map((engine) => engine.name);
    const replay = wholeText.length === 0 ? ends.map(() => true) : sparseReplay(ends);
    // One entry (this answer's last judgements), bounded like the service's own cache by default.
    const streamCache = createStreamCache({ maxBytes: DEFAULT_STREAM_CACHE_BYTES });
    const calls: StreamedCall[] = [];
    let last: ExplainCall | undefined;
    for (const [index, end] of ends.entries()) {
      const final = index === ends.length - 1;
      const chars = countCodePoints(text, end);
      if (!replay[index]) {
        calls.push({ call: index + 1, chars, replayed: false, flagged: false, action: null, final });
        continue;
      }
      // One judgement at a time: pings and Dify's calls are answered between two of them.
      if (last) await yieldToEventLoop();
      // The final call's log fields are the request's (verdict, engine); the others' are dropped.
      const fields = final ? context.logFields : {};
      last = await explainCall(
        { point: "app.moderation.output", params: { ...request.params, text: text.slice(0, end) } },
        context,
        fields,
        streamCache,
      );
      const flagged = last.reply.flagged === true;
      // A reply that passes still says `direct_output` (Dify's model requires an action): not shown.
      const action = flagged && typeof last.reply.action === "string" ? last.reply.action : null;
      calls.push({ call: index + 1, chars, replayed: true, flagged, action, final });
    }
    const replayed = calls.filter((call) => call.replayed).length;
    context.logFields.streamedCalls = calls.length;
    if (replayed < calls.length) context.logFields.replayedCalls = replayed;
    return {
      ...notModerating(),
      ...last!,
      mode: "streamed",
      stream: {
        bufferSize: request.bufferSize,
        calls,
        firstFlaggedCall: calls.find((call) => call.flagged)?.call ?? null,
        ...(replayed < calls.length && {
          sparse: `${wholeText.join(" and ")} judge${wholeText.length === 1 ? "s" : ""} whole texts only: ${replayed} of ${calls.length} calls replayed (the last, and calls at about a half, a quarter, an eighth… of the answer); the first flagged call is the first flagged among them`,
        }),
      },
      lists: lists(request.params.app_id),
    };
  };
}

/**
 * Where each of Dify's streamed output moderation calls ends, as UTF-16 offsets: after every
 * `bufferSize` characters (code points, as Python counts them) while the answer is longer, then the
 * whole answer. Throws a 400 naming the limit when that takes more than {@link MAX_STREAMED_CALLS}.
 */
export function streamedCallEnds(text: string, bufferSize: number): number[] {
  const length = countCodePoints(text, text.length);
  const calls = Math.max(1, Math.ceil(length / bufferSize));
  if (calls > MAX_STREAMED_CALLS) {
    throw new HttpError(
      "text_too_long",
      `params.text: streamed mode replays at most ${MAX_STREAMED_CALLS} calls, and ${length} characters at buffer_size ${bufferSize} make ${calls}; raise buffer_size or shorten the text`,
    );
  }
  const ends: number[] = [];
  let points = 0;
  for (let offset = 0; offset < text.length; ) {
    const code = text.codePointAt(offset)!;
    offset += code > 0xffff ? 2 : 1;
    points += 1;
    if (points % bufferSize === 0 && offset < text.length) ends.push(offset);
  }
  ends.push(text.length);
  return ends;
}

/**
 * Which calls a replay with a whole-text engine makes: the last; then, going back, the call
 * closest below each half of the last replayed one's length; and the first. Together they carry at
 * most {@link WHOLE_TEXT_REPLAY_BUDGET} times the answer's length.
 */
export function sparseReplay(ends: readonly number[]): boolean[] {
  const replay = ends.map(() => false);
  replay[ends.length - 1] = true;
  replay[0] = true;
  let target = ends.at(-1)! / 2;
  for (let index = ends.length - 2; index > 0; index--) {
    if (ends[index]! > target) continue;
    replay[index] = true;
    target = ends[index]! / 2;
  }
  return replay;
}

function countCodePoints(text: string, end: number): number {
  let count = 0;
  for (let offset = 0; offset < end; count += 1) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return count;
}

/** Each judged text with its findings (every engine's, by start), and the text with them masked. */
function textsOf(trace: PolicyTrace): ExplainText[] {
  return trace.texts.map((text, index) => {
    const findings: ExplainFinding[] = [];
    let flagged = false;
    for (const run of trace.runs) {
      const verdict = run.verdicts?.[index];
      if (!verdict) continue;
      if (verdict.flagged) flagged = true;
      for (const finding of verdict.findings) {
        const category = finding.category ?? verdict.categories[0] ?? OTHER_CATEGORY;
        findings.push({
          start: finding.start,
          end: finding.end,
          engine: run.engine,
          label: finding.label,
          ...(finding.fold === undefined ? {} : { fold: finding.fold }),
          category,
          action: trace.actionOf(category),
          categories: verdict.categories,
          ...(finding.detail === undefined ? {} : { detail: finding.detail }),
        });
      }
    }
    findings.sort((a, b) => a.start - b.start || b.end - a.end);
    return {
      source: trace.sources[index] ?? `text ${index + 1}`,
      text,
      flagged,
      findings,
      // What masking makes of the text: the findings of `block` and `mask` categories masked.
      masked: maskSpans(
        text,
        findings.filter((finding) => finding.action === "block" || finding.action === "mask"),
        trace.maskCharacter,
      ),
    };
  });
}
