import { categoryProblem } from "../categories.ts";
import { normalizeForMatching } from "./normalize.ts";

/** How a list's terms match: as whole words (Latin and other spaced scripts) or anywhere. */
export type MatchMode = "word" | "substring";

/**
 * A fold applied to a list's terms and to the text before they are compared: `chinese` folds
 * Traditional and Simplified Chinese characters to one form (see `chinese-fold.ts`).
 */
export type ListFold = "chinese";

/** A parsed keyword list. */
export interface KeywordList {
  /** Name used in errors, stats and verdict categories (e.g. the file's base name). */
  name: string;
  /** Terms as written (trimmed), in file order. Duplicates are kept; they cost nothing. */
  terms: string[];
  /** Match mode set by a `# match: …` directive; absent means "use the engine option". */
  match?: MatchMode;
  /** Fold set by a `# fold: chinese` directive; absent means none (the list matches as before). */
  fold?: ListFold;
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
 * sets the list's match mode; `# fold: chinese` makes Traditional and Simplified Chinese match each
 * other; `# category: hate` names the list's category (docs/categories.md). Throws
 * {@link KeywordListError} on an unknown or conflicting mode or category, or an unknown fold.
 */
export function parseKeywordList(text: string, name: string): KeywordList {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = source.split(/\r\n|\r|\n/);
  const terms: string[] = [];
  let match: MatchMode | undefined;
  let fold: ListFold | undefined;
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
        const value = foldDirective[1]!.toLowerCase();
        if (value !== "chinese") {
          throw new KeywordListError(name, index + 1, `unknown fold "${foldDirective[1]}" (expected "chinese")`);
        }
        fold = value;
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
    ...(fold === undefined ? {} : { fold }),
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
