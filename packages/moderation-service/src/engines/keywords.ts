import type { KeywordList, MatchMode } from "@dify-ext/moderation-engines/keywords";
import { FOLD_NAMES, type ListFold } from "@dify-ext/moderation-engines/keywords/parse";
import { booleanVar, listVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, type EngineContext } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    keywords?: KeywordsSettings;
  }
}

/** A true/false variable whose absence means the engine's own default. */
const optionalBooleanVar = () => booleanVar(false).unwrap().optional();

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

const fileList = z.array(z.string().trim().min(1, "a file name must not be empty"));

/** The keyword engine's variables. Unset KEYWORDS_MATCH, KEYWORDS_SEPARATORS and KEYWORDS_WATCH leave the engine's own defaults. */
const env = z.object({
  KEYWORDS_FILES: listVar(),
  KEYWORDS_ALLOW_FILES: listVar(),
  KEYWORDS_MATCH: z.enum(["word", "substring"], { error: "expected word or substring" }).optional(),
  KEYWORDS_SEPARATORS: optionalBooleanVar(),
  KEYWORDS_WATCH: optionalBooleanVar(),
});

/** The `keywords:` section of the policy file. */
const section = z.strictObject({
  files: fileList.min(1, "expected at least one list file").optional(),
  allow_files: fileList.optional(),
  match: z.enum(["word", "substring"], { error: "expected word or substring" }).optional(),
  separators: z.boolean({ error: "expected true or false" }).optional(),
  /** Folds by list file (as named in `files`), replacing the file's `# fold:` directives; `[]` turns them off. */
  folds: z
    .record(
      z.string().trim().min(1, "a file name must not be empty"),
      z
        .array(z.enum(FOLD_NAMES, { error: `expected one of ${FOLD_NAMES.join(", ")}` }))
        .refine((names) => new Set(names).size === names.length, "a fold is listed twice"),
    )
    .optional(),
});

/** A list's name: its file's base name without the extension (`lists/profanity.txt` → `profanity`). */
export function listNameOf(file: string): string {
  return file.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
}

/** Reads and parses one list file; errors name the file (and the line, for directive problems). */
async function readList(file: string, context: EngineContext): Promise<KeywordList> {
  const { parseKeywordList } = await import("@dify-ext/moderation-engines/keywords");
  let text: string;
  try {
    text = await context.files.read(file);
  } catch (error) {
    throw new Error(`keyword file ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseKeywordList(text, listNameOf(file));
  } catch (error) {
    throw new Error(`keyword file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Builds the matcher from the settings' files, or from the sample lists. */
async function loadMatcher(settings: KeywordsSettings, context: EngineContext) {
  const { createKeywordMatcher, loadReadingsFor, parseKeywordList } = await import(
    "@dify-ext/moderation-engines/keywords"
  );
  const { SAMPLE_ALLOW_LIST, SAMPLE_LIST } = await import("@dify-ext/moderation-engines/keywords/sample");
  const sample = (list: { name: string; text: string }) => parseKeywordList(list.text, list.name);
  const lists = settings.usingSampleList
    ? [sample(SAMPLE_LIST)]
    : await Promise.all(
        settings.listFiles.map(async (file): Promise<KeywordList> => {
          const list = await readList(file, context);
          // Folds a policy file sets for a list replace the list's own directives.
          const folds = settings.folds?.[file];
          if (folds === undefined) return list;
          const { folds: _own, ...rest } = list;
          return folds.length === 0 ? rest : { ...rest, folds: [...folds] };
        }),
      );
  const allowLists =
    settings.usingSampleList && settings.allowFiles.length === 0
      ? [sample(SAMPLE_ALLOW_LIST)]
      : await Promise.all(settings.allowFiles.map((file) => readList(file, context)));
  // The pinyin library is loaded only when a list asks for a fold that needs it.
  await loadReadingsFor(lists);
  return createKeywordMatcher({
    lists,
    allowLists,
    ...(settings.match === undefined ? {} : { match: settings.match }),
    ...(settings.separators === undefined ? {} : { separators: settings.separators }),
  });
}

/**
 * Keyword lists: your terms, any language, any size (Aho-Corasick), with normalisation against
 * evasions, allow-lists, masking. Lists come from files (the sample list when none are set),
 * reloaded when they change and on SIGHUP.
 */
export const keywords = defineEngine<KeywordsSettings, z.output<typeof section>>({
  name: "keywords",
  rank: 10,
  runsByDefault: true,
  summary: "your keyword lists, any language and size, with evasion-resistant normalisation",
  docs: "app-moderation-keywords.md",
  env,
  variables: {
    KEYWORDS_FILES: {
      default: "the bundled sample list",
      meaning:
        "comma-separated paths of block-list files (absolute, or relative to the working directory). Each file is one list, named after the file (`profanity.txt` → `profanity`); its `# category:` line names the [category](categories.md) of its matches. The audit line shows the category in `categories` and the list's name in `rules`",
    },
    KEYWORDS_ALLOW_FILES: {
      default: "none (the sample allow-list when `KEYWORDS_FILES` is not set)",
      meaning:
        "comma-separated paths of allow-list files: terms never flagged, even when a blocked term lies inside them",
    },
    KEYWORDS_MATCH: {
      default: "`word`",
      meaning:
        "`word` or `substring`: how Latin-script terms match in lists without a `# match:` directive. CJK and Thai terms match anywhere either way",
    },
    KEYWORDS_SEPARATORS: {
      default: "`false`",
      meaning:
        "`true` also catches terms spelled with separators (`f u c k`, `傻 逼`), at the price of some false positives ([trade-off](keywords.md#matching-rules))",
    },
    KEYWORDS_WATCH: {
      default: "`true`",
      meaning:
        "reload the lists when a file changes (the directories are watched, so rename-into-place works); SIGHUP reloads either way",
    },
  },
  fileVariables: ["KEYWORDS_FILES", "KEYWORDS_ALLOW_FILES"],
  read(source) {
    const app = parseEnv(env, source);
    const listFiles = app.KEYWORDS_FILES ?? [];
    return {
      listFiles,
      allowFiles: app.KEYWORDS_ALLOW_FILES ?? [],
      usingSampleList: listFiles.length === 0,
      ...(app.KEYWORDS_MATCH === undefined ? {} : { match: app.KEYWORDS_MATCH }),
      ...(app.KEYWORDS_SEPARATORS === undefined ? {} : { separators: app.KEYWORDS_SEPARATORS }),
      ...(app.KEYWORDS_WATCH === undefined ? {} : { watch: app.KEYWORDS_WATCH }),
    };
  },
  policy: {
    section,
    apply(settings, { files, allow_files: allowFiles, match, separators, folds }, { resolvePath, problem }) {
      const listFiles = files ? files.map(resolvePath) : settings.listFiles;
      // Folds follow the list files: those set before for files still listed, then this section's.
      const listFolds: Record<string, ListFold[]> = {};
      for (const [file, names] of Object.entries(settings.folds ?? {})) {
        if (listFiles.includes(file)) listFolds[file] = names;
      }
      for (const [file, names] of Object.entries(folds ?? {})) {
        const path = resolvePath(file);
        if (listFiles.includes(path)) listFolds[path] = names;
        else {
          problem(
            "folds",
            `"${file}" is not one of the list files here; name it in keywords.files (of this section or of default)`,
          );
        }
      }
      const { folds: _previous, ...rest } = settings;
      return {
        ...rest,
        ...(files && { listFiles, usingSampleList: false }),
        ...(allowFiles && { allowFiles: allowFiles.map(resolvePath) }),
        ...(match !== undefined && { match }),
        ...(separators !== undefined && { separators }),
        ...(Object.keys(listFolds).length > 0 && { folds: listFolds }),
      };
    },
    files: (found) => [...(found.files ?? []), ...(found.allow_files ?? [])],
  },
  async create(settings, context) {
    const { createKeywordEngine } = await import("@dify-ext/moderation-engines/keywords");
    const { logger } = context;
    const matcher = await loadMatcher(settings, context);
    const { stats } = matcher;
    logger.info(
      {
        engine: "keywords",
        lists: stats.lists.map((list) => ({
          name: list.name,
          terms: list.terms,
          match: list.match,
          category: list.category,
          ...(list.folds && { folds: list.folds }),
        })),
        allowTerms: stats.allowTerms,
        buildMs: Math.round(stats.buildMs),
        separators: matcher.options.separators,
      },
      settings.usingSampleList
        ? "keyword lists loaded (the sample list: set KEYWORDS_FILES for yours)"
        : "keyword lists loaded",
    );
    const engine = createKeywordEngine({ matcher });
    const files = [...(settings.usingSampleList ? [] : settings.listFiles), ...settings.allowFiles];
    if (files.length > 0) {
      const watch = context.files.watch(
        files,
        async () => {
          const next = await loadMatcher(settings, context);
          engine.swap(next);
          logger.info({ terms: next.stats.terms, buildMs: Math.round(next.stats.buildMs) }, "keyword lists reloaded");
        },
        {
          hangup: "SIGHUP: reloading keyword lists",
          failed: "keyword lists not reloaded; the previous lists keep serving",
          ...(settings.watch === undefined ? {} : { watch: settings.watch }),
        },
      );
      context.onClose(() => watch.close());
    }
    return engine;
  },
});
