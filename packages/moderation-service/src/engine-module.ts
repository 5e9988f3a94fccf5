import type { ModerationEngine, SharedStore } from "@dify-ext/moderation-engines";
import type { Logger } from "@dify-ext/receive";
import { ConfigError, type Env, type UpstreamObserver } from "@dify-ext/runtime";
import type { z } from "zod";

/**
 * Files an engine reads (keyword lists, rule files): under Node from disk, reloaded when they
 * change and on SIGHUP; on a Worker bundled at build time (`dify-ext-worker-files`), never changing.
 */
export interface EngineFiles {
  /** A file's text. Rejects with an error naming the file (and the line of bad UTF-8). */
  read(file: string): Promise<string>;
  /**
   * Calls `reload` when any of `files` changes (unless `watch` is false) and on SIGHUP, logging
   * `hangup` first; a reload that throws is logged with `failed` and the previous state keeps
   * serving. Returns how to reload now (`true` when it did) and to stop watching (register it with
   * `onClose`). Does nothing on a Worker.
   */
  watch(files: readonly string[], reload: () => Promise<void>, options: WatchOptions): FileWatch;
}

/** A watch on an engine's files. */
export interface FileWatch {
  /** Reloads now; `false` when the reload failed (logged) and the previous state keeps serving. */
  reload(): Promise<boolean>;
  close(): void;
}

/** How an engine's files are watched, and what the log says. */
export interface WatchOptions {
  /** Watch the files' folders (default `true`); SIGHUP reloads either way. */
  watch?: boolean;
  /** The log line on SIGHUP, e.g. `SIGHUP: reloading keyword lists`. */
  hangup: string;
  /** The log line of a failed reload, e.g. `keyword lists not reloaded; the previous lists keep serving`. */
  failed: string;
}

/** What an engine's factory gets besides its settings. */
export interface EngineContext {
  logger: Logger;
  /** Told about upstream calls and cache lookups (Prometheus under Node). */
  observer?: UpstreamObserver;
  /** Marks the app not ready: `GET /readyz` answers 503 with the reason. */
  notReady(reason: string): void;
  /** Registers clean-up run at shutdown (file watchers and the like). */
  onClose(close: () => void): void;
  /** The files the settings name. */
  files: EngineFiles;
  /**
   * The store replicas share (SHARED_STATE_URL, Node only), for engines whose verdicts are worth
   * sharing (an upstream model's); absent: keep everything in the process.
   */
  shared?: SharedStore;
}

/** One environment variable of an engine, as the docs tables show it. */
export interface VariableDoc {
  /** The default as a reader sees it (`unset`, `5000`, `the bundled sample list`). */
  default: string;
  meaning: string;
}

/**
 * Everything about one engine, in one module: its name and cost rank, its settings (environment
 * variables with their docs, the policy file's section), and its factory, which runs under Node and
 * on Workers alike (it loads the engine's code on first use, so an app never loads an engine it
 * does not run). The registry (`engines/index.ts`) lists the modules; the apps, the policy file,
 * the Worker bundler and the docs tables are driven by it.
 */
export interface EngineModule<S = unknown, Section = unknown> {
  /** The name in MODERATION_ENGINES, the policy file, logs and metrics. */
  readonly name: string;
  /** Cost rank: engines run in increasing rank, cheapest first (local before upstream, upstream before a GPU). */
  readonly rank: number;
  /** The composite app runs it when MODERATION_ENGINES is unset (engines that need no account or server). */
  readonly runsByDefault?: boolean;
  /** One line for the docs: what it catches. */
  readonly summary: string;
  /** The docs page of its app (relative to docs/). */
  readonly docs: string;
  /** Its environment variables: the schema reads them, `variables` documents each one. */
  readonly env: z.ZodObject;
  readonly variables: Readonly<Record<string, VariableDoc>>;
  /** Variables that name files (comma-separated) a Worker must bundle at build time. */
  readonly fileVariables?: readonly string[];
  /** Reads its variables; throws a `ConfigError` naming each bad one. */
  read(env: Env): S;
  /** Its section of the policy file (`<name>:`), if it has one. */
  readonly policy?: {
    readonly section: z.ZodType<Section>;
    /**
     * The settings with a section's overrides. `resolvePath` turns a file the section names into
     * the path to read; `problem` reports a field of the section that cannot apply (the file's error
     * names the app and the field).
     */
    apply(settings: S, section: Section, helpers: PolicyHelpers): S;
    /** Files the section names, for the Worker bundler. */
    files?(section: Section): string[];
  };
  /** Builds the engine from its settings. */
  create(settings: S, context: EngineContext): ModerationEngine | Promise<ModerationEngine>;
}

/** What a module's policy section gets to apply itself. */
export interface PolicyHelpers {
  resolvePath(file: string): string;
  /** Reports that `field` (within the engine's section) cannot apply, and why. */
  problem(field: string, message: string): void;
}

/** An engine module of any settings type, as the registry holds them. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of every settings type.
export type AnyEngineModule = EngineModule<any, any>;

/** Defines an engine module (an identity that keeps the settings types checked). */
export function defineEngine<S, Section = never>(module: EngineModule<S, Section>): EngineModule<S, Section> {
  return module;
}

/**
 * An engine that cannot judge because something it needs is not configured (no key, no model
 * URL): the app reports not ready with `reason`, warns at start and on every call, and every call
 * goes to the failure policy. For `pnpm dev` with no account; production configs refuse it.
 */
export async function engineThatCannotJudge(
  name: string,
  reason: string,
  context: EngineContext,
): Promise<ModerationEngine> {
  const { EngineUnavailableError } = await import("@dify-ext/moderation-engines");
  const { logger } = context;
  context.notReady(reason);
  logger.warn(
    { engine: name },
    `${reason}: the ${name} engine cannot judge, so every moderation call is answered by the failure policy (MODERATION_INPUT_ON_ERROR / MODERATION_OUTPUT_ON_ERROR)`,
  );
  return {
    name,
    async moderate() {
      logger.warn({ engine: name }, `${reason}: moderation answered by the failure policy`);
      throw new EngineUnavailableError(name, reason);
    },
  };
}

/**
 * Builds an engine, turning the error it throws for an unusable option (an `errorClass` naming the
 * option in `option`) into a `ConfigError` naming the variable the option comes from, so the
 * start-up line (Node) or the Worker's 500 says what to fix.
 */
export function namingVariables<T>(
  errorClass: abstract new (...args: never[]) => Error & { option: string },
  variables: Readonly<Record<string, string>>,
  build: () => T,
): T {
  try {
    return build();
  } catch (error) {
    const variable = error instanceof errorClass ? variables[error.option] : undefined;
    if (variable) throw new ConfigError([`${variable}: ${(error as Error).message}`]);
    throw error;
  }
}
