/**
 * Cheap exact checks around obscenity's `RegExpMatcher`, from the same patterns and transformers:
 *
 * - `mayMatch`: the text transformed exactly as the library transforms it, then tested once with
 *   one regular expression that alternates every pattern's expression (compiled as the library
 *   compiles it). No match means no pattern can match anywhere, so the library's matcher (two
 *   transformer passes and one pass per pattern) need not run: the verdict is clean.
 * - `restart`: for a text that extends one already judged, a point from which rescanning gives
 *   the same findings as the whole text (see {@link ObscenityPrefilter.restart}).
 */
import type { ParsedPattern, TransformerContainer } from "obscenity";
import { Automaton } from "../keywords/automaton.ts";

export interface ObscenityPrefilterOptions {
  /** The blacklisted patterns the matcher was built from. */
  patterns: readonly ParsedPattern[];
  /** The whitelisted terms the matcher was built with. */
  allowed: readonly string[];
  blacklistTransformers: readonly TransformerContainer[];
  whitelistTransformers: readonly TransformerContainer[];
}

/** Where to rescan an extended text from, and which findings come from the rescan. */
export interface Restart {
  /** Rescan `text.slice(from)`. */
  from: number;
  /** Findings starting before `split` are the earlier ones; from `split` on, the rescan's. */
  split: number;
}

export interface ObscenityPrefilter {
  /** False when no pattern can match anywhere in `text` (so the verdict is clean). */
  mayMatch(text: string): boolean;
  /**
   * For `text` extending a judged prefix of `priorLength` code units: a restart point, or
   * `undefined` when none is proven safe near the end of the prefix (judge the whole text).
   */
  restart(text: string, priorLength: number): Restart | undefined;
}

const Kind = { Optional: 0, Wildcard: 1, Literal: 2 } as const;
type PatternNode = ParsedPattern["nodes"][number];

// As obscenity's compilePatternToRegExp (pattern/Util.js) escapes literal characters.
const SPECIAL = new Set(
  ["[", ".", "*", "+", "?", "^", "$", "{", "}", "(", ")", "|", "\\", "]"].map((c) => c.codePointAt(0)!),
);

function nodeSource(node: PatternNode): string {
  switch (node.kind) {
    case Kind.Literal: {
      let out = "";
      for (const char of node.chars) out += (SPECIAL.has(char) ? "\\" : "") + String.fromCodePoint(char);
      return out;
    }
    case Kind.Optional:
      return `(?:${nodeSource(node.childNode)})?`;
    case Kind.Wildcard:
      return ".";
  }
  throw new TypeError("unknown obscenity pattern node");
}

/** Most UTF-16 code units of transformed text one node can match (`.` is one unit: no `u` flag). */
function nodeReach(node: PatternNode): number {
  switch (node.kind) {
    case Kind.Literal:
      return node.chars.reduce((sum, char) => sum + (char > 0xffff ? 2 : 1), 0);
    case Kind.Optional:
      return nodeReach(node.childNode);
    case Kind.Wildcard:
      return 1;
  }
  throw new TypeError("unknown obscenity pattern node");
}

function patternSource(pattern: ParsedPattern): string {
  let source = pattern.requireWordBoundaryAtStart ? "\\b" : "";
  for (const node of pattern.nodes) source += nodeSource(node);
  return pattern.requireWordBoundaryAtEnd ? `${source}\\b` : source;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The code point at `i` the way obscenity's CharacterIterator reads it (a lone surrogate as itself). */
function codePointAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (isHigh(c) && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (isLow(d)) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/** Text transformed by a transformer chain, with the original index of every transformed unit. */
interface Transformed {
  text: string;
  origin: Int32Array;
  length: number;
}

/**
 * A transformer chain applied exactly as obscenity's `TransformerSet` applies it: per code point,
 * each transformer in order until one drops the character; stateful ones fresh for every text.
 * The stateless transformers before the first stateful one are cached per code point.
 */
function chainOf(containers: readonly TransformerContainer[]) {
  let statelessCount = 0;
  while (statelessCount < containers.length && "transform" in containers[statelessCount]!) statelessCount++;
  const stateless = containers.slice(0, statelessCount) as Array<{ transform: (c: number) => number | undefined }>;
  const rest = containers.slice(statelessCount);
  const UNKNOWN = -1;
  const DROPPED = -2;
  const bmp = new Int32Array(0x10000).fill(UNKNOWN);
  const astral = new Map<number, number>();
  const fold = (cp: number): number | undefined => {
    let cached = cp < 0x10000 ? bmp[cp]! : (astral.get(cp) ?? UNKNOWN);
    if (cached === UNKNOWN) {
      let value: number | undefined = cp;
      for (const t of stateless) {
        value = t.transform(value);
        if (value === undefined) break;
      }
      cached = value === undefined ? DROPPED : value;
      if (cp < 0x10000) bmp[cp] = cached;
      else astral.set(cp, cached);
    }
    return cached === DROPPED ? undefined : cached;
  };
  let units = new Uint16Array(1024);
  let origin = new Int32Array(1024);

  const collapse = rest.length === 1 ? collapseSettings(rest[0]!) : undefined;

  /** Writes code point `value`, which came from original offset `i`, at `units[n]`; returns the next `n`. */
  const put = (value: number, i: number, n: number): number => {
    if (value > 0xffff) {
      units[n] = ((value - 0x10000) >> 10) + 0xd800;
      origin[n++] = i;
      units[n] = ((value - 0x10000) & 0x3ff) + 0xdc00;
    } else {
      units[n] = value;
    }
    origin[n] = i;
    return n + 1;
  };

  /** Transforms `text[from..to)` into `units[0..n)` (read them before the next call); returns n. */
  const run = (text: string, from: number, to: number): number => {
    if (collapse) return runCollapsing(text, from, to, collapse);
    return runGeneric(text, from, to);
  };

  /** The chain with obscenity's collapse-duplicates last, its logic written out (no call per character). */
  const runCollapsing = (text: string, from: number, to: number, settings: CollapseSettings): number => {
    ensure(to - from);
    let n = 0;
    let last = -1;
    let remaining = -1;
    for (let i = from; i < to; ) {
      let cp = text.charCodeAt(i);
      let width = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      let value = cp < 0x10000 ? bmp[cp]! : UNKNOWN;
      if (value === UNKNOWN) value = fold(cp) ?? DROPPED;
      if (value !== DROPPED) {
        let emit: boolean;
        if (value === last) emit = remaining-- > 0;
        else {
          const threshold = settings.custom.get(value) ?? settings.fallback;
          remaining = threshold - 1;
          last = value;
          emit = threshold > 0;
        }
        if (emit) n = put(value, i, n);
      }
      i += width;
    }
    return n;
  };

  const ensure = (length: number) => {
    if (units.length < 2 * length) {
      units = new Uint16Array(2 * length);
      origin = new Int32Array(2 * length);
    }
  };

  const runGeneric = (text: string, from: number, to: number): number => {
    // Stateful transformers: one fresh instance per text.
    const steps = rest.map((container) => {
      if ("transform" in container) return container.transform;
      const instance = container.factory();
      return (c: number) => instance.transform(c);
    });
    ensure(to - from);
    let n = 0;
    for (let i = from; i < to; ) {
      const cp = codePointAt(text, i);
      let value = fold(cp);
      for (let k = 0; k < steps.length && value !== undefined; k++) value = steps[k]!(value);
      if (value !== undefined) n = put(value, i, n);
      i += cp > 0xffff ? 2 : 1;
    }
    return n;
  };
  const unitsText = (n: number): string => {
    let out = "";
    for (let k = 0; k < n; k += 4096) out += String.fromCharCode(...units.subarray(k, Math.min(n, k + 4096)));
    return out;
  };
  /** Transforms `text[from..to)`; `to` must not split a surrogate pair. */
  const apply = (text: string, from: number, to: number): Transformed => {
    const n = run(text, from, to);
    return { text: unitsText(n), origin: origin.slice(0, n), length: n };
  };
  return {
    fold,
    apply,
    run,
    unitsText,
    units: () => units,
    onlyLastStateful: rest.length <= 1,
  };
}

/** The settings of obscenity's collapse-duplicates transformer (pattern of its 0.4.x class). */
interface CollapseSettings {
  custom: ReadonlyMap<number, number>;
  fallback: number;
}

/**
 * The thresholds of a collapse-duplicates transformer, read from a fresh instance, or `undefined`
 * for any other transformer (then it is called per character). The property tests compare the
 * result with obscenity's own matcher, so a change of the library's class shows there.
 */
function collapseSettings(container: TransformerContainer): CollapseSettings | undefined {
  if (!("factory" in container)) return undefined;
  const instance = container.factory() as unknown as {
    constructor: { name: string };
    customThresholds?: unknown;
    defaultThreshold?: unknown;
  };
  if (
    instance.constructor.name !== "CollapseDuplicatesTransformer" ||
    !(instance.customThresholds instanceof Map) ||
    typeof instance.defaultThreshold !== "number"
  ) {
    return undefined;
  }
  return { custom: instance.customThresholds as Map<number, number>, fallback: instance.defaultThreshold };
}

/** Builds the prefilter. */
export function createObscenityPrefilter(options: ObscenityPrefilterOptions): ObscenityPrefilter {
  const blacklist = chainOf(options.blacklistTransformers);
  const whitelist = chainOf(options.whitelistTransformers);
  const sources = options.patterns.map(patternSource);
  const anchors = anchorsOf(options.patterns);
  const any = new RegExp(sources.map((source) => `(?:${source})`).join("|"), "s");
  const anyAt = new RegExp(any.source, "sy");
  const reach = Math.max(1, ...options.patterns.map((p) => p.nodes.reduce((sum, node) => sum + nodeReach(node), 0)));
  const allowed = [...new Set(options.allowed)];
  const allowReach = Math.max(1, ...allowed.map((term) => term.length));
  // How far, in transformed units, a match or an allowed phrase can look beyond where it starts.
  const look = Math.max(reach, allowReach) + 2;
  // Restarting is sound when each chain is stateless transformers then at most one stateful one
  // (obscenity's collapse-duplicates, whose state a change of character resets), as recommended.
  const restartable = blacklist.onlyLastStateful && whitelist.onlyLastStateful && options.patterns.length > 0;

  /** A point where both chains start afresh: the (folded) character differs from the one before. */
  const resetPoint = (text: string, p: number): boolean => {
    if (p <= 0 || p >= text.length) return false;
    if (isLow(text.charCodeAt(p)) && isHigh(text.charCodeAt(p - 1))) return false;
    const before = p >= 2 && isLow(text.charCodeAt(p - 1)) && isHigh(text.charCodeAt(p - 2)) ? p - 2 : p - 1;
    const cp = codePointAt(text, p);
    const prev = codePointAt(text, before);
    for (const chain of [blacklist, whitelist]) {
      const a = chain.fold(cp);
      const b = chain.fold(prev);
      if (a === undefined || b === undefined || a === b) return false;
    }
    return true;
  };

  /** True when some pattern could match at a start in (at - reach, at): a match could straddle `at`. */
  const matchStraddles = (transformed: string, at: number): boolean => {
    for (let s = Math.max(0, at - reach + 1); s < at; s++) {
      anyAt.lastIndex = s;
      if (anyAt.test(transformed)) return true;
    }
    return false;
  };
  const allowStraddles = (transformed: string, at: number): boolean => {
    for (const term of allowed) {
      const found = transformed.indexOf(term, Math.max(0, at - term.length + 1));
      if (found !== -1 && found < at) return true;
    }
    return false;
  };

  return {
    mayMatch(text) {
      if (sources.length === 0) return false;
      const n = blacklist.run(text, 0, text.length);
      if (!anchors) return any.test(blacklist.unitsText(n));
      // Every match contains its pattern's anchor: find the anchors, then try only those patterns,
      // only where their anchor puts a match's start.
      let transformed: string | undefined;
      let found = false;
      anchors.automaton.scan(blacklist.units(), n, (id, end) => {
        if (found) return;
        for (let e = anchors.groupStart[id]!; e < anchors.groupStart[id + 1]!; e++) {
          const anchor = anchors.entries[e]!;
          const start = end - anchor.length;
          for (let offset = anchor.minOffset; offset <= anchor.maxOffset && !found; offset++) {
            if (start - offset < 0) break;
            transformed ??= blacklist.unitsText(n);
            anchor.regExp.lastIndex = start - offset;
            found = anchor.regExp.test(transformed);
          }
          if (found) return;
        }
      });
      return found;
    },

    /*
     * Why the restart is exact. A split point `q` is chosen where (1) both transformer chains
     * start afresh, so the transformed text from `q` on does not depend on what came before;
     * (2) no pattern can match at any start that would straddle `q`, and no allowed phrase
     * occurs across `q`; (3) at least `look` transformed units of the judged prefix follow `q`.
     * Then the library's non-overlapping scans (one per pattern, one per allowed phrase) are in
     * the same state at `q` whatever they started from: matches starting before `q` end before
     * it and depend only on the prefix (the same in the earlier text), and matches from `q` on are
     * found by rescanning from any fresh point `from` at least `look` units before `q` (room for
     * the `\b` context and for allowed phrases that could cover them). The repeated-letter
     * extension of a span stops at `q` too, since the character there differs.
     */
    restart(text, priorLength) {
      if (!restartable || priorLength > text.length) return undefined;
      for (let span = 4 * look + 64; span < priorLength; span *= 4) {
        let from = priorLength - span;
        while (from > 0 && !resetPoint(text, from)) from--;
        if (from <= 0) return undefined;
        // The prefix ends inside the text; never split a surrogate pair there.
        let end = priorLength;
        if (end < text.length && isLow(text.charCodeAt(end)) && isHigh(text.charCodeAt(end - 1))) end--;
        const b = blacklist.apply(text, from, end);
        const w = whitelist.apply(text, from, end);
        let tries = 0;
        for (let tq = b.length - look; tq >= look && tries < 32; tq--) {
          const q = b.origin[tq]!;
          if (b.origin[tq - 1] === q || !resetPoint(text, q)) continue;
          tries++;
          // The same point in the whitelist chain's text (it keeps every character there).
          let wq = -1;
          let lo = 0;
          let hi = w.length - 1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (w.origin[mid]! < q) lo = mid + 1;
            else hi = mid - 1;
          }
          if (lo < w.length && w.origin[lo] === q) wq = lo;
          if (wq < look || w.length - wq < look) continue;
          if (matchStraddles(b.text, tq) || allowStraddles(w.text, wq)) continue;
          return { from, split: q };
        }
      }
      return undefined;
    },
  };
}

/** A pattern's anchor: its longest literal outside any optional part, which every match contains. */
interface Anchor {
  /** The pattern's expression, sticky: tried at a start the anchor implies. */
  regExp: RegExp;
  length: number;
  /** Least and most transformed units a match can have before the anchor. */
  minOffset: number;
  maxOffset: number;
}

/**
 * One automaton over every pattern's anchor, with the anchors of each automaton pattern id
 * (`entries[groupStart[id]..groupStart[id + 1])`); `null` when a pattern has no literal outside an
 * optional part (then the combined expression is tried on the whole text).
 */
function anchorsOf(
  patterns: readonly ParsedPattern[],
): { automaton: Automaton; groupStart: Int32Array; entries: Anchor[] } | null {
  if (patterns.length === 0) return null;
  const literals: string[] = [];
  const found: Anchor[] = [];
  for (const pattern of patterns) {
    let best = -1;
    let bestLength = 0;
    pattern.nodes.forEach((node, index) => {
      if (node.kind === Kind.Literal && nodeReach(node) > bestLength) {
        best = index;
        bestLength = nodeReach(node);
      }
    });
    if (best < 0) return null;
    let minOffset = 0;
    let maxOffset = 0;
    for (const node of pattern.nodes.slice(0, best)) {
      minOffset += node.kind === Kind.Optional ? 0 : nodeReach(node);
      maxOffset += nodeReach(node);
    }
    const literal = pattern.nodes[best] as Extract<PatternNode, { kind: typeof Kind.Literal }>;
    literals.push(String.fromCodePoint(...literal.chars));
    found.push({ regExp: new RegExp(patternSource(pattern), "sy"), length: bestLength, minOffset, maxOffset });
  }
  const ids = new Int32Array(literals.length);
  const automaton = new Automaton(literals, ids);
  const groupStart = new Int32Array(automaton.patternCount + 1);
  for (const id of ids) groupStart[id + 1]!++;
  for (let id = 0; id < automaton.patternCount; id++) groupStart[id + 1]! += groupStart[id]!;
  const slot = groupStart.slice(0, automaton.patternCount);
  const entries: Anchor[] = new Array(found.length);
  ids.forEach((id, index) => {
    entries[slot[id]!++] = found[index]!;
  });
  return { automaton, groupStart, entries };
}
