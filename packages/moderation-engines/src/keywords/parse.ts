import { categoryProblem } from "../categories.ts";
import { normalizeForMatching } from "./normalize.ts";

/** How a list's terms match: as whole words (Latin and other spaced scripts) or anywhere. */
export type MatchMode = "word" | "substring";

/**
 * The folds a list can ask for (`# fold: …`), in the order findings name them; each is off unless
 * the list (or the policy file) turns it on. See docs/keywords.md for what each one matches.
 * - `chinese`: Traditional and Simplified characters match each other.
 * - `numerals`: Chinese digits (一二三, 壹贰叁, 〇) read as 0–9.
 * - `lookalikes`: radical forms, and two components written for one character (`氵去` for `法`).
 * - `repeats`: a run of one Han character reads as one (`赌赌博博`).
 * - `pinyin`: a term's characters written as toneless pinyin (`fa lun gong`, `法lun功`).
 * - `initials`: a term written as its pinyin initials, a whole word (`flg`).
 * - `homophones`: characters replaced by others with the same toneless syllable (`发轮功`).
 */
export const FOLD_NAMES = ["chinese", "numerals", "lookalikes", "repeats", "pinyin", "initials", "homophones"] as const;

/** One of {@link FOLD_NAMES}. */
export type ListFold = (typeof FOLD_NAMES)[number];

/**
 * Reads the value of a `# fold:` directive: fold names separated by commas and/or spaces, any
 * case. Throws an `Error` naming the unknown name.
 */
export function parseFoldNames(value: string): ListFold[] {
  const names = value
    .split(/[\s,]+/)
    .map((name) => name.toLowerCase())
    .filter(Boolean);
  if (names.length === 0) throw new Error(`expected one or more folds (${FOLD_NAMES.join(", ")})`);
  for (const name of names) {
    if (!(FOLD_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown fold "${name}" (expected ${FOLD_NAMES.join(", ")})`);
    }
  }
  return FOLD_NAMES.filter((fold) => names.includes(fold));
}

/** A parsed keyword list. */
export interface KeywordList {
  /** Name used in errors, stats and verdict categories (e.g. the file's base name). */
  name: string;
  /** Terms as written (trimmed), in file order. Duplicates are kept; they cost nothing. */
  terms: string[];
  /** Match mode set by a `# match: …` directive; absent means "use the engine option". */
  match?: MatchMode;
  /** Folds set by `# fold:` directives (every one the list names, in {@link FOLD_NAMES} order); absent means none. */
  folds?: ListFold[];
  /**
   * The list's category from a `# category: hate` directive (docs/categories.md); absent means
   * `other`.
   */
  category?: string;
  /** Number of term lines skipped because they normalise to nothing (only invisible characters). */
  skipped: number;
}

/** A keyword list could not be parsed; the message names the list and the line. */
export class KeywordListError extends Error {
  override readonly name = "KeywordListError";
  constructor(
    readonly list: string,
    readonly line: number,
    message: string,
  ) {
    super(`keyword list "${list}", line ${line}: ${message}`);
  }
}

const DIRECTIVE_RE = /^#\s*match\s*:\s*(.*?)\s*$/i;
const FOLD_DIRECTIVE_RE = /^#\s*fold\s*:\s*(.*?)\s*$/i;
const CATEGORY_DIRECTIVE_RE = /^#\s*category\s*:\s*(.*?)\s*$/i;

/**
 * Parses a keyword list: one term per line; blank lines and lines whose first non-space character
 * is `#` are ignored; a leading `\#` stands for a literal `#`. Whitespace around terms is trimmed,
 * CRLF line ends and a leading BOM are accepted. A comment `# match: word` or `# match: substring`
 * sets the list's match mode; `# fold: chinese, pinyin` (one or more of {@link FOLD_NAMES}, on one
 * line or several, which add up) sets its folds; `# category: hate` names the list's category
 * (docs/categories.md). Throws {@link KeywordListError} on an unknown or conflicting mode or
 * category, or an unknown fold.
 */
export function parseKeywordList(text: string, name: string): KeywordList {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = source.split(/\r\n|\r|\n/);
  const terms: string[] = [];
  let match: MatchMode | undefined;
  const folds = new Set<ListFold>();
  let category: string | undefined;
  let skipped = 0;
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index]!.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const directive = DIRECTIVE_RE.exec(line);
      if (directive) {
        const value = directive[1]!.toLowerCase();
        if (value !== "word" && value !== "substring") {
          throw new KeywordListError(
            name,
            index + 1,
            `unknown match mode "${directive[1]}" (expected "word" or "substring")`,
          );
        }
        match = agreeing(match, value, "match", name, index);
      }
      const foldDirective = FOLD_DIRECTIVE_RE.exec(line);
      if (foldDirective) {
        try {
          for (const fold of parseFoldNames(foldDirective[1]!)) folds.add(fold);
        } catch (error) {
          throw new KeywordListError(name, index + 1, (error as Error).message);
        }
      }
      const categoryDirective = CATEGORY_DIRECTIVE_RE.exec(line);
      if (categoryDirective) {
        const value = categoryDirective[1]!.toLowerCase();
        const problem = categoryProblem(value);
        if (problem) throw new KeywordListError(name, index + 1, `# category: ${problem}`);
        category = agreeing(category, value, "category", name, index);
      }
      continue;
    }
    if (line.startsWith("\\#")) line = line.slice(1);
    if (normalizeForMatching(line) === "") {
      skipped++;
      continue;
    }
    terms.push(line);
  }
  return {
    name,
    terms,
    ...(match === undefined ? {} : { match }),
    ...(folds.size === 0 ? {} : { folds: FOLD_NAMES.filter((fold) => folds.has(fold)) }),
    ...(category === undefined ? {} : { category }),
    skipped,
  };
}

/** A directive's value, which must agree with the one the list already gave (if any). */
function agreeing<T extends string>(
  previous: T | undefined,
  value: T,
  directive: string,
  list: string,
  index: number,
): T {
  if (previous !== undefined && previous !== value) {
    throw new KeywordListError(
      list,
      index + 1,
      `conflicting ${directive} directive "${value}" (the list already says "${previous}")`,
    );
  }
  return value;
}
