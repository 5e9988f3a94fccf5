import type { ListFold, MatchMode } from "@dify-ext/moderation-engines/keywords";
import { booleanVar, type Env, listVar, parseEnv } from "@dify-ext/server";
import { z } from "zod";

/** A true/false variable whose absence means the engine's own default. */
const optionalBooleanVar = () => booleanVar(false).unwrap().optional();

/**
 * The keyword engine's variables. Unset KEYWORDS_MATCH, KEYWORDS_SEPARATORS and KEYWORDS_WATCH
 * leave the engine's own defaults (whole words, no separators, watching), written down once there.
 */
export const keywordsEnvSchema = z.object({
  KEYWORDS_FILES: listVar(),
  KEYWORDS_ALLOW_FILES: listVar(),
  KEYWORDS_MATCH: z.enum(["word", "substring"], { error: "expected word or substring" }).optional(),
  KEYWORDS_SEPARATORS: optionalBooleanVar(),
  KEYWORDS_WATCH: optionalBooleanVar(),
});

/** The keyword engine's settings. */
export interface KeywordsSettings {
  /** Block-list files from KEYWORDS_FILES; empty means the bundled sample list. */
  listFiles: string[];
  /** Allow-list files from KEYWORDS_ALLOW_FILES; with the sample list and none given, the sample allow-list. */
  allowFiles: string[];
  usingSampleList: boolean;
  match?: MatchMode;
  separators?: boolean;
  /** Watch the list files and reload them when they change (Node only). */
  watch?: boolean;
  /** Folds by list file (a path of `listFiles`), replacing the file's `# fold:` directives: set by a policy file. */
  folds?: Record<string, ListFold[]>;
}

/** Reads the keyword engine's variables; throws a `ConfigError` naming each bad one. */
export function readKeywordsSettings(env: Env): KeywordsSettings {
  const app = parseEnv(keywordsEnvSchema, env);
  const listFiles = app.KEYWORDS_FILES ?? [];
  return {
    listFiles,
    allowFiles: app.KEYWORDS_ALLOW_FILES ?? [],
    usingSampleList: listFiles.length === 0,
    ...(app.KEYWORDS_MATCH === undefined ? {} : { match: app.KEYWORDS_MATCH }),
    ...(app.KEYWORDS_SEPARATORS === undefined ? {} : { separators: app.KEYWORDS_SEPARATORS }),
    ...(app.KEYWORDS_WATCH === undefined ? {} : { watch: app.KEYWORDS_WATCH }),
  };
}
