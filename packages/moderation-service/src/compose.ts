import type { ModerationEngine, SharedStore, StreamCache } from "@dify-ext/moderation-engines";
import type { ExplainReport } from "@dify-ext/playground/report";
import { ConfigError, type UpstreamObserver } from "@dify-ext/runtime";
import type { AnyEngineModule, EngineFiles } from "./engine-module.ts";
import type { ExplainRequest } from "@dify-ext/protocol";
import type { HandlerContext, Logger } from "@dify-ext/receive";
import type { ModerationConfig } from "./config/read.ts";
import { createExplainer } from "./explain.ts";
import { type ModerationHandlers, moderationHandlers } from "./handlers.ts";
import { secretVariable } from "./config/webhook.ts";
import { envSpec, type PolicySpec, parsePolicyFile, type ResolvedPolicies, resolvePolicies } from "./policies/file.ts";
import type { ModerationState } from "./state.ts";
import { buildPolicySet, ENV_POLICY_VERSION, type PolicySet } from "./policies/set.ts";
import type { WebhookHub, WebhookTarget } from "./webhooks/types.ts";

/** A policy file's text and where it came from (MODERATION_POLICY_FILE). */
export interface PolicyFileSource {
  /** The file's name in error messages and logs. */
  name: string;
  text: string;
  /** Turns a list file named in the policy into the path its engine reads (Node: relative to the policy file). */
  resolvePath?: (file: string) => string;
}

/** A moderation app's parts, ready for the Koa app (Node) or the fetch handler (Workers). */
export interface Moderation {
  /** The default policy's engines, in the order they run. */
  readonly engines: readonly ModerationEngine[];
  /** Handlers for the server's `handlers` option; they pick each call's policy by its `app_id`. */
  handlers: ModerationHandlers;
  /** The playground's explain: a call through these handlers, with why it got its verdict. */
  explain: (request: ExplainRequest, context: HandlerContext) => Promise<ExplainReport>;
  /** `true` when every engine can judge, otherwise why not (for `GET /readyz`). */
  readiness(): true | string;
  /** Whether the service moderates (every engine, whether it can judge, what follows), for people and metrics. */
  state(): ModerationState;
  /** Saved judgements of streamed output texts, of the policies now serving (its `stats()` show its size). */
  readonly streamCache: StreamCache;
  /** The policies now serving: their version and how many apps have their own. */
  policies(): Pick<PolicySet, "version" | "apps" | "engineCount">;
  /**
   * Builds the policies of a changed policy file in full and only then puts them in place of the
   * old ones (whose engines are then closed). Throws a `ConfigError` naming the file, the app and
   * the field when the file is broken; the old policies keep serving.
   */
  reloadPolicy(file: PolicyFileSource): Promise<void>;
  /** Stops file watchers and the like. */
  close(): void;
}

/**
 * The one composition of every moderation app, under Node and on Workers: engines (cheapest first)
 * from their settings, built by their modules → policies (one per app the policy file names, and
 * the default) → the two moderation handlers. An engine the config names but `modules` lacks (a
 * Worker that does not bundle it) is a `ConfigError` naming MODERATION_ENGINES.
 */
export async function composeModeration(
  config: Pick<ModerationConfig, "common" | "policy" | "engines" | "stream" | "webhook">,
  modules: readonly AnyEngineModule[],
  options: {
    logger: Logger;
    observer?: UpstreamObserver;
    policyFile?: PolicyFileSource;
    files: EngineFiles;
    /** Told the service's state when it starts and whenever a reloaded policy file changes it (metrics). */
    onState?: (state: ModerationState) => void;
    /** The store replicas share (SHARED_STATE_URL): upstream verdicts and streamed-answer judgements. */
    shared?: SharedStore;
    /** Verdict webhooks (Node); without it a webhook in the config is a `ConfigError`. */
    webhooks?: WebhookHub;
  },
): Promise<Moderation> {
  const { logger, observer, files, shared, webhooks } = options;
  const base = envSpec(config);
  const context = {
    logger,
    observer,
    files,
    stream: config.stream,
    ...(shared && { shared }),
    ...(webhooks && { webhookFor: (target: WebhookTarget) => webhooks.sink(target) }),
  };

  async function build(file: PolicyFileSource | undefined): Promise<PolicySet> {
    if (!file) {
      const resolved: ResolvedPolicies = { version: ENV_POLICY_VERSION, defaults: base, apps: new Map() };
      checkWebhooks(resolved, webhooks, undefined);
      return buildPolicySet(resolved, modules, context);
    }
    const parsed = await parsePolicyFile(file.text, file.name);
    const resolved = resolvePolicies(base, parsed, file.name, file.resolvePath);
    checkWebhooks(resolved, webhooks, file.name);
    return buildPolicySet(resolved, modules, context, file.name);
  }

  function announce(set: PolicySet, file: PolicyFileSource | undefined, message: string): void {
    logger.info(
      {
        engines: set.engines.map((engine) => engine.name),
        ...(file && {
          policyFile: file.name,
          policyVersion: set.version,
          apps: set.apps,
          engineCount: set.engineCount,
        }),
      },
      message,
    );
  }

  let current = await build(options.policyFile);
  const handlers = moderationHandlers((appId) => current.select(appId), { logUserText: config.common.logUserText });
  announce(current, options.policyFile, "moderation engines ready");
  options.onState?.(current.state());
  let closed = false;

  return {
    get engines() {
      return current.engines;
    },
    get streamCache() {
      return current.streamCache;
    },
    handlers,
    explain: createExplainer(
      handlers,
      (appId) => current.select(appId).engines,
      () => current.state(),
    ),
    readiness: () => current.readiness(),
    state: () => current.state(),
    policies: () => ({ version: current.version, apps: current.apps, engineCount: current.engineCount }),
    async reloadPolicy(file) {
      const next = await build(file);
      if (closed) {
        next.close();
        throw new ConfigError(["the moderation service is shutting down"]);
      }
      const previous = current;
      current = next;
      previous.close();
      webhooks?.retain(next.webhooks);
      announce(next, file, "moderation policy reloaded");
      options.onState?.(next.state());
    },
    close() {
      closed = true;
      current.close();
    },
  };
}

/**
 * Checks every policy's webhook receiver before anything is built: a `json` receiver needs its
 * secret set, and without a hub (a Worker) there can be none. Problems name the file, the app and
 * the field, or the variable.
 */
function checkWebhooks(resolved: ResolvedPolicies, hub: WebhookHub | undefined, source: string | undefined): void {
  const problems = new Set<string>();
  const specs: PolicySpec[] = [resolved.defaults, ...resolved.apps.values()];
  for (const spec of specs) {
    const target = spec.webhook;
    if (!target) continue;
    const where =
      target.where === "MODERATION_WEBHOOK_URL" || source === undefined ? target.where : `${source}: ${target.where}`;
    if (!hub) {
      problems.add(
        `${where}: verdict webhooks are sent by the Node service only, not on Workers (docs/deploy-workers.md#verdict-webhooks)`,
      );
      continue;
    }
    if (target.format === "json" && !hub.secrets.has(target.secret ?? "")) {
      const variable = secretVariable(target.secret);
      problems.add(
        target.secret === undefined
          ? `${where}.url: json events are signed: set ${variable} (or name another secret in webhook.secret)`
          : `${where}.secret: ${variable} is not set`,
      );
    }
  }
  if (problems.size > 0) throw new ConfigError([...problems]);
}
