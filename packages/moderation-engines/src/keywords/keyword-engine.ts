import type {
  EngineDescription,
  IncrementalJudgement,
  JudgementCodec,
  ModerateContext,
  ModerationEngine,
  TextVerdict,
} from "../engine.ts";
import { decodeFindings, encodeFindings } from "../shared.ts";
import { extendFindings } from "./incremental.ts";
import type { KeywordFinding, KeywordMatcher } from "./matcher.ts";

export interface KeywordEngineOptions {
  /** The matcher to start with; replace it later with `swap`. */
  matcher: KeywordMatcher;
}

/** The keyword engine: a {@link ModerationEngine} whose matcher can be replaced while it serves. */
export interface KeywordEngine extends ModerationEngine {
  readonly name: "keywords";
  /**
   * Replaces the matcher. Takes effect for the next `moderate` call; a call in progress finishes
   * with the matcher it started with. Build the new matcher fully before swapping it in.
   */
  swap(matcher: KeywordMatcher): void;
  /** The matcher in use. */
  current(): KeywordMatcher;
  /** The lists and allow-lists in use, with their term counts, and when they were swapped in. */
  describe(): EngineDescription;
}

/**
 * Creates the keyword engine. A text is flagged when the matcher finds at least one term; the
 * findings carry the original-text spans for masking and their list's category; `categories` lists
 * the categories that matched and `rules` the names of the lists.
 */
export function createKeywordEngine(options: KeywordEngineOptions): KeywordEngine {
  assertMatcher(options?.matcher);
  let matcher = options.matcher;
  let loadedAt = new Date();
  const judgement = (m: KeywordMatcher, length: number, found: KeywordFinding[]): IncrementalJudgement => {
    const state: KeywordState = { matcher: m, length, found };
    return { verdict: verdictOf(found), state, bytes: 64 + 96 * found.length };
  };
  // Findings as `[start, end, label, tag]`: the tag is the finding's category, fold and list (tagOf).
  const codec: JudgementCodec = {
    encode(prior) {
      const state = prior.state as KeywordState;
      // A list reloaded since: the state names lists no replica may still have.
      if (state.matcher !== matcher) return undefined;
      return encodeFindings(KEYWORD_STATE, state.matcher.fingerprint, state.length, state.found, tagOf);
    },
    decode(encoded, length) {
      const m = matcher;
      let sound = true;
      const found = decodeFindings(KEYWORD_STATE, m.fingerprint, length, encoded, (finding, tag) => {
        const parts = fromTag(tag);
        if (!parts) sound = false;
        return { ...finding, ...parts! };
      });
      return sound && found ? judgement(m, length, found) : undefined;
    },
  };
  return {
    name: "keywords",
    async moderate(texts: readonly string[], _context: ModerateContext): Promise<TextVerdict[]> {
      if (!Array.isArray(texts)) throw new TypeError("texts must be an array of strings");
      const m = matcher;
      return texts.map((text, index) => {
        if (typeof text !== "string") throw new TypeError(`texts[${index}] must be a string`);
        return verdictOf(m.find(text));
      });
    },
    incremental: {
      judge(text: string): IncrementalJudgement {
        const m = matcher;
        return judgement(m, text.length, m.find(text));
      },
      extend(prior: IncrementalJudgement, text: string): IncrementalJudgement | undefined {
        const state = prior.state as KeywordState;
        // A list reloaded since: the earlier findings came from another list.
        if (state.matcher !== matcher) return undefined;
        const found = extendFindings(state.matcher, state.found, state.length, text);
        return found && judgement(state.matcher, text.length, found);
      },
      codec,
    },
    swap(next: KeywordMatcher): void {
      assertMatcher(next);
      matcher = next;
      loadedAt = new Date();
    },
    current(): KeywordMatcher {
      return matcher;
    },
    describe(): EngineDescription {
      const { stats } = matcher;
      const lists: EngineDescription["lists"] = stats.lists.map((list) => ({
        name: list.name,
        kind: "block",
        terms: list.terms,
        match: list.match,
        ...(list.folds ? { folds: list.folds } : {}),
        category: list.category,
      }));
      for (const list of stats.allowLists) lists.push({ name: list.name, kind: "allow", terms: list.terms });
      const listed = stats.allowLists.reduce((sum, list) => sum + list.terms, 0);
      // Allow terms given without a list name (the `allow` option) are counted together.
      if (stats.allowTerms > listed) lists.push({ name: "(allow)", kind: "allow", terms: stats.allowTerms - listed });
      return { engine: "keywords", lists, loadedAt: loadedAt.toISOString() };
    },
  };
}

/** The format tag of a keyword state written by {@link JudgementCodec.encode}. */
const KEYWORD_STATE = "k2";

/**
 * A finding's category, fold and list in one string, tab-separated: categories and folds hold no
 * tab, so the list name (last) may hold anything.
 */
function tagOf(finding: KeywordFinding): string {
  return `${finding.category}\t${finding.fold ?? ""}\t${finding.list}`;
}

/** What {@link tagOf} wrote; `undefined` for a string it cannot have written. */
function fromTag(tag: string): Pick<KeywordFinding, "category" | "fold" | "list"> | undefined {
  const first = tag.indexOf("\t");
  const second = first === -1 ? -1 : tag.indexOf("\t", first + 1);
  if (first <= 0 || second === -1) return undefined;
  const fold = tag.slice(first + 1, second);
  return { category: tag.slice(0, first), ...(fold === "" ? {} : { fold }), list: tag.slice(second + 1) };
}

/** What the keyword engine keeps to extend a judgement: the matcher used, and its findings. */
interface KeywordState {
  matcher: KeywordMatcher;
  length: number;
  found: KeywordFinding[];
}

function verdictOf(found: readonly KeywordFinding[]): TextVerdict {
  if (found.length === 0) return { flagged: false, findings: [], categories: [] };
  const categories: string[] = [];
  const rules: string[] = [];
  for (const f of found) {
    if (!categories.includes(f.category)) categories.push(f.category);
    if (!rules.includes(f.list)) rules.push(f.list);
  }
  return {
    flagged: true,
    findings: found.map(({ start, end, label, category, fold }) =>
      fold === undefined ? { start, end, label, category } : { start, end, label, category, fold },
    ),
    categories,
    rules,
  };
}

function assertMatcher(m: unknown): asserts m is KeywordMatcher {
  if (typeof (m as KeywordMatcher | undefined)?.find !== "function") {
    throw new TypeError("matcher must be a KeywordMatcher (see createKeywordMatcher)");
  }
}
