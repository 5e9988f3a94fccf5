import {
  createModerationPolicy,
  createStreamCache,
  type ModerationEngine,
  type ModerationPolicy,
  type StreamCache,
  type StreamCacheOptions,
} from "@dify-ext/moderation-engines";
import { ConfigError, OTHER_APP } from "@dify-ext/runtime";
import type { AnyEngineModule, EngineContext } from "../engine-module.ts";
import { byRank } from "../engines/index.ts";
import { type ModerationState, moderationState } from "../state.ts";
import type { WebhookSink, WebhookTarget } from "../webhooks/types.ts";
import { type PolicySpec, type ResolvedPolicies, sectionName } from "./file.ts";

/** The policy one call gets, with what its log lines and metrics say about it. */
export interface SelectedPolicy {
  policy: ModerationPolicy;
  /** The metrics label: the app id when the policy file names it, otherwise `other`. */
  app: string;
  /** The policy file's version (`env` without a file). */
  version: string;
  /** The policy's engines, in the order they run. */
  engines: readonly ModerationEngine[];
  /** Where its verdicts go besides the audit line (verdict webhooks). */
  webhook?: WebhookSink;
}

/** Every app's policy, built, with the engines they share. */
export interface PolicySet {
  version: string;
  /** The policy for a call's `app_id`: its own when the file names it, otherwise the default. Constant time. */
  select(appId: string | undefined): SelectedPolicy;
  /** The default policy's engines, in the order they run. */
  engines: readonly ModerationEngine[];
  /** How many apps have their own policy. */
  apps: number;
  /** How many engines were built (policies with equal settings share one). */
  engineCount: number;
  /** `true` when every engine can judge, otherwise why not and what the failure policy does about it. */
  readiness(): true | string;
  /** Whether the service moderates: each engine, whether it can judge, and what follows. */
  state(): ModerationState;
  /**
   * Saved judgements of streamed output texts, shared by this set's policies: keyed by app id, and
   * an app id gets one policy within a set, so no judgement reaches engines it did not come from. A
   * reloaded policy file gets a new set, and so a new cache.
   */
  streamCache: StreamCache;
  /** The webhook receivers its policies send to. */
  webhooks: readonly WebhookTarget[];
  /** Stops the engines' file watchers and the like. */
  close(): void;
}

/** The version of the policies when no policy file is set. */
export const ENV_POLICY_VERSION = "env";

/**
 * Builds every policy of `resolved`, sharing engines between policies whose settings for an engine
 * are equal (1,000 apps on the same lists build the keyword automaton once). When `source` names a
 * policy file, an engine that cannot be built (a list file that does not parse) is a `ConfigError`
 * naming the file and the section that asked for it. Builds in full before returning: on failure
 * everything built so far is closed.
 */
export async function buildPolicySet(
  resolved: ResolvedPolicies,
  modules: readonly AnyEngineModule[],
  context: Omit<EngineContext, "notReady" | "onClose"> & {
    stream?: StreamCacheOptions;
    /** The sink of a webhook receiver (a policy's `webhook`). */
    webhookFor?: (target: WebhookTarget) => WebhookSink;
  },
  source?: string,
): Promise<PolicySet> {
  const { stream, webhookFor, ...engineBase } = context;
  const webhooks: WebhookTarget[] = [];
  // With a shared store, streamed-answer judgements are shared too (their states name their lists).
  const { observer } = context;
  const streamCache = createStreamCache({
    ...stream,
    ...(context.shared && { shared: context.shared }),
    ...(observer && { onLookup: (event) => observer.observeUpstream(event) }),
  });
  /** Why each engine (by name) cannot judge, as its factory said. */
  const notReady = new Map<string, Set<string>>();
  const closers: Array<() => void> = [];
  const engineContext = (name: string): EngineContext => ({
    ...engineBase,
    notReady: (reason) => {
      const reasons = notReady.get(name) ?? new Set<string>();
      notReady.set(name, reasons.add(reason));
    },
    onClose: (close) => closers.push(close),
  });
  const close = () => {
    for (const closer of closers.splice(0)) closer();
  };

  const built = new Map<string, ModerationEngine>();
  const engineFor = async (name: string, settings: unknown, where: string) => {
    const key = `${name} ${JSON.stringify(settings)}`;
    const existing = built.get(key);
    if (existing) return existing;
    const module = modules.find((candidate) => candidate.name === name);
    if (!module) {
      const available = byRank(modules).map((known) => known.name);
      throw new ConfigError([
        `MODERATION_ENGINES: engine "${name}" is not built into this app; it has ${available.join(", ")}`,
      ]);
    }
    let engine: ModerationEngine;
    try {
      engine = await module.create(settings, engineContext(name));
    } catch (error) {
      if (source === undefined || error instanceof ConfigError) throw error;
      throw new ConfigError([`${source}: ${where}.${name}: ${(error as Error).message}`]);
    }
    built.set(key, engine);
    return engine;
  };
  const policyFor = async (spec: PolicySpec, where: string) => {
    const engines: ModerationEngine[] = [];
    for (const name of spec.engines) engines.push(await engineFor(name, spec.settings[name], where));
    const webhook = spec.webhook && webhookFor?.(spec.webhook);
    if (spec.webhook) webhooks.push(spec.webhook);
    let policy: ModerationPolicy;
    try {
      policy = createModerationPolicy({ ...spec.policy, mode: spec.mode, engines, streamCache });
    } catch (error) {
      // The file's and env's checks come first; this names whatever the policy still refuses.
      if (!(error instanceof RangeError)) throw error;
      throw new ConfigError([
        `${source === undefined ? "moderation policy" : `${source}: ${where}`}: ${error.message}`,
      ]);
    }
    return {
      policy,
      engines,
      ...(webhook && { webhook }),
    };
  };

  try {
    const defaults: SelectedPolicy = {
      ...(await policyFor(resolved.defaults, sectionName(undefined))),
      app: OTHER_APP,
      version: resolved.version,
    };
    const apps = new Map<string, SelectedPolicy>();
    for (const [appId, spec] of resolved.apps) {
      apps.set(appId, { ...(await policyFor(spec, sectionName(appId))), app: appId, version: resolved.version });
    }
    const { engines } = defaults;
    const names = [...new Set([...built.values()].map((engine) => engine.name))];
    const state = moderationState(
      names.map((engine) => {
        const reasons = notReady.get(engine);
        return reasons ? { engine, ready: false, reason: [...reasons].join("; ") } : { engine, ready: true };
      }),
      { input: resolved.defaults.policy.input.onEngineError, output: resolved.defaults.policy.output.onEngineError },
    );
    return {
      version: resolved.version,
      select: (appId) => (appId === undefined ? defaults : (apps.get(appId) ?? defaults)),
      engines,
      apps: apps.size,
      engineCount: built.size,
      streamCache,
      readiness: () => state.reason ?? true,
      state: () => state,
      webhooks,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
