/**
 * The injection rule format: a small line format, parsed by {@link parseInjectionRules}. Pure
 * (no I/O): the shipped rules and an operator's file go through the same parser.
 *
 * ```text
 * # A comment: a line whose first non-blank character is #.
 * family IGNORE: ignore | disregard | forget | 忽略 | 无视
 * family PRIOR: previous | prior | above | earlier | 之前 | 以上
 *
 * # rule <id> <category> <weight> [on input|output|input,output]: <pattern>
 * rule injection.ignore-prior injection 1: $IGNORE ..3 $PRIOR ..3 instruction* | rules | 指令
 * rule smuggling.chatml smuggling 1 on input,output: "<|im_start|>" | "<|im_end|>"
 * disable injection.ignore-prior
 * ```
 *
 * - A pattern is one or more slots separated by `..N`: the next slot starts at most N tokens
 *   after the previous one ends (`..0`: right after it). A token is a word, or one character of a
 *   script written without spaces (Chinese, Japanese, Korean, Thai).
 * - A slot lists alternatives separated by `|`: words (`ignore previous`, matched as whole words in
 *   the canonical form, see `canonical.ts`; a trailing `*` lets the last word go on: `instruct*`),
 *   `$FAMILY` (every alternative of a family), or `"a raw literal"` (matched in the normalised
 *   text, punctuation included, without word boundaries: chat-template tokens).
 * - A line that starts with whitespace continues the line before it.
 * - `weight` is a number above 0, at most 100. A text is flagged when the rules matching within one
 *   window of tokens (each rule counted once) add up to the engine's threshold (1 by default), so
 *   a rule of weight 1 flags on its own and weaker ones only together.
 * - `on` says at which of Dify's points the rule applies: `input` (the default: the user's query
 *   and inputs) or `output` (the model's answer), or both.
 * - A later rule with the same id replaces an earlier one (an operator's file can change a shipped
 *   rule), and `disable <id>` removes one.
 *
 * Errors name the source and the line: `injection-rules.txt:12: unknown family $PRIOR`.
 */
import { categoryChoices, categoryProblem, CUSTOM_FAMILY } from "../categories.ts";
import type { ModerationPoint } from "../engine.ts";

/**
 * The engine's own categories, those of the shipped rules. A rule may also name a category of the
 * one vocabulary (docs/categories.md: `custom.acme`, `hate`), which its findings then carry as is.
 */
export const INJECTION_CATEGORIES = ["injection", "jailbreak", "prompt-leak", "smuggling"] as const;
export type InjectionCategory = (typeof INJECTION_CATEGORIES)[number];

/** The engine's own categories in the one vocabulary (docs/categories.md). */
export const INJECTION_CATEGORY_MAP: Readonly<Record<InjectionCategory, string>> = {
  injection: "injection",
  jailbreak: "injection.jailbreak",
  "prompt-leak": "injection.prompt-leak",
  smuggling: "injection.smuggling",
};

const isOwnCategory = (name: string): name is InjectionCategory =>
  (INJECTION_CATEGORIES as readonly string[]).includes(name);

/**
 * A rule's category in the one vocabulary: the engine's own names mapped by
 * {@link INJECTION_CATEGORY_MAP}, a vocabulary category (the parser allows no other) as it is.
 */
export function injectionCategoryOf(name: string): string {
  return isOwnCategory(name) ? INJECTION_CATEGORY_MAP[name] : name;
}

/** One alternative of a slot. */
export interface RuleAlternative {
  /** Words (canonicalised when compiled) or a raw literal. */
  kind: "words" | "raw";
  text: string;
  /** Words only: the last word may continue (`instruct*`). */
  prefix: boolean;
}

export interface InjectionRule {
  id: string;
  /** As the file names it: one of {@link INJECTION_CATEGORIES}, or a category of the vocabulary. */
  category: string;
  weight: number;
  points: readonly ModerationPoint[];
  /** Slots in order; `gaps[j]` is the most tokens allowed between slot j-1 and slot j (gaps[0] = 0). */
  slots: readonly (readonly RuleAlternative[])[];
  gaps: readonly number[];
  /** Where it was defined, for messages: `source:line`. */
  origin: string;
}

/** A parsed rules file: its rules in order and the ids it disables. */
export interface InjectionRuleSet {
  /** The file name or label it came from (`shipped`, `/etc/dify-ext/injection-rules.txt`). */
  source: string;
  rules: readonly InjectionRule[];
  /** Rule ids this file turns off (`disable <id>`), with the line that says so. */
  disabled: readonly { id: string; line: number }[];
}

/** A rules file with a mistake; `line` is 1-based. */
export class InjectionRulesError extends Error {
  override readonly name = "InjectionRulesError";
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
  }
}

/** Limits that keep a rules file (and the automaton built from it) bounded. */
export const RULE_LIMITS = {
  /** Longest line, continuations included. */
  lineChars: 100_000,
  /** Slots of one pattern. */
  slots: 8,
  /** Largest `..N`. */
  gap: 200,
  /** Longest alternative, in characters. */
  alternativeChars: 200,
  /** Alternatives of one rule after families are expanded. */
  alternativesPerRule: 20_000,
  /** Rules of one file. */
  rules: 10_000,
  /** Largest weight. */
  weight: 100,
} as const;

const FAMILY_NAME_RE = /^[A-Z][A-Z0-9_]*$/;
const RULE_ID_RE = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const WEIGHT_RE = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
const GAP_RE = /^\.\.(\d+)$/;

interface LogicalLine {
  text: string;
  line: number;
}

/** Joins continuation lines (leading whitespace) to the line before; drops comments and blanks. */
function logicalLines(text: string, source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  const raw = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (/^\s/.test(line)) {
      const last = lines.at(-1);
      if (!last)
        throw new InjectionRulesError(source, i + 1, "a continuation line (starting with a space) follows nothing");
      last.text += ` ${trimmed}`;
      if (last.text.length > RULE_LIMITS.lineChars) {
        throw new InjectionRulesError(source, last.line, `line longer than ${RULE_LIMITS.lineChars} characters`);
      }
      continue;
    }
    if (trimmed.length > RULE_LIMITS.lineChars) {
      throw new InjectionRulesError(source, i + 1, `line longer than ${RULE_LIMITS.lineChars} characters`);
    }
    lines.push({ text: trimmed, line: i + 1 });
  }
  return lines;
}

/** Lexes a pattern or a family body into alternatives, `|` and `..N` markers. */
type Lexeme =
  | { type: "alt"; alt: RuleAlternative }
  | { type: "ref"; name: string }
  | { type: "or" }
  | { type: "gap"; n: number };

function lex(body: string, fail: (detail: string) => never): Lexeme[] {
  const out: Lexeme[] = [];
  let words: string[] = [];
  const flushWords = () => {
    if (words.length === 0) return;
    let text = words.join(" ");
    let prefix = false;
    if (text.endsWith("*")) {
      prefix = true;
      text = text.slice(0, -1).trimEnd();
    }
    if (text.includes("*")) fail(`"*" may only end an alternative: ${JSON.stringify(words.join(" ").slice(0, 60))}`);
    if (text === "") fail(`an alternative is only "*"`);
    if (text.length > RULE_LIMITS.alternativeChars)
      fail(`alternative longer than ${RULE_LIMITS.alternativeChars} characters`);
    out.push({ type: "alt", alt: { kind: "words", text, prefix } });
    words = [];
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "|") {
      flushWords();
      out.push({ type: "or" });
      i++;
      continue;
    }
    if (c === '"') {
      flushWords();
      let text = "";
      let j = i + 1;
      for (; j < body.length && body[j] !== '"'; j++) {
        if (body[j] === "\\" && j + 1 < body.length) {
          const next = body[j + 1]!;
          if (next === '"' || next === "\\") {
            text += next;
            j++;
            continue;
          }
          if (next === "n" || next === "t") {
            text += next === "n" ? "\n" : "\t";
            j++;
            continue;
          }
        }
        text += body[j];
      }
      if (j >= body.length) fail("a quoted literal is not closed");
      if (text.trim() === "") fail("a quoted literal is empty");
      if (text.length > RULE_LIMITS.alternativeChars)
        fail(`literal longer than ${RULE_LIMITS.alternativeChars} characters`);
      out.push({ type: "alt", alt: { kind: "raw", text, prefix: false } });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < body.length && !/\s/.test(body[j]!) && body[j] !== "|" && body[j] !== '"') j++;
    const word = body.slice(i, j);
    i = j;
    const gap = GAP_RE.exec(word);
    if (gap) {
      flushWords();
      const n = Number(gap[1]);
      if (n > RULE_LIMITS.gap) fail(`gap ..${n} is larger than ..${RULE_LIMITS.gap}`);
      out.push({ type: "gap", n });
      continue;
    }
    if (word.startsWith("..")) fail(`"${word.slice(0, 20)}" is not a gap; write ..N with a number`);
    if (word.startsWith("$")) {
      flushWords();
      const name = word.slice(1);
      if (!FAMILY_NAME_RE.test(name))
        fail(`"${word.slice(0, 40)}" is not a family name ($ and capital letters, digits, _)`);
      out.push({ type: "ref", name });
      continue;
    }
    words.push(word);
  }
  flushWords();
  return out;
}

type SlotItem = { kind: "alt"; alt: RuleAlternative } | { kind: "ref"; name: string };

/** Splits lexemes into slots (by `..N`) of alternatives (by `|`); checks the shape. */
function slotsOf(lexemes: Lexeme[], allowGaps: boolean, fail: (detail: string) => never) {
  const slots: SlotItem[][] = [[]];
  const gaps: number[] = [0];
  let expectItem = true;
  for (const lexeme of lexemes) {
    if (lexeme.type === "gap") {
      if (!allowGaps) fail("a family cannot contain a gap (..N)");
      if (expectItem) fail("a gap (..N) must come between two alternatives");
      slots.push([]);
      gaps.push(lexeme.n);
      expectItem = true;
    } else if (lexeme.type === "or") {
      if (expectItem) fail('"|" must come between two alternatives');
      expectItem = true;
    } else {
      if (!expectItem) fail("two alternatives need a | or a gap (..N) between them");
      slots.at(-1)!.push(lexeme.type === "ref" ? { kind: "ref", name: lexeme.name } : { kind: "alt", alt: lexeme.alt });
      expectItem = false;
    }
  }
  if (expectItem)
    fail(slots.length === 1 && slots[0]!.length === 0 ? "the pattern is empty" : "the pattern ends with | or a gap");
  if (slots.length > RULE_LIMITS.slots) fail(`a pattern has at most ${RULE_LIMITS.slots} slots (separated by ..N)`);
  return { slots, gaps };
}

/**
 * Parses a rules file. Throws {@link InjectionRulesError} naming `source` and the line of the
 * first mistake. Families may use families defined before or after them (no cycles).
 */
export function parseInjectionRules(text: string, source: string): InjectionRuleSet {
  if (typeof text !== "string") throw new TypeError("rules text must be a string");
  const families = new Map<string, { items: SlotItem[]; line: number }>();
  const pending: Array<{
    id: string;
    category: string;
    weight: number;
    points: ModerationPoint[];
    slots: SlotItem[][];
    gaps: number[];
    line: number;
  }> = [];
  const disabled: { id: string; line: number }[] = [];
  for (const { text: line, line: number } of logicalLines(text, source)) {
    const fail = (detail: string): never => {
      throw new InjectionRulesError(source, number, detail);
    };
    const keyword = /^\S+/.exec(line)![0];
    if (keyword === "family") {
      const m = /^family\s+(\S+)\s*:(.*)$/s.exec(line);
      if (!m) fail("expected: family NAME: alternative | alternative …");
      const name = m![1]!;
      if (!FAMILY_NAME_RE.test(name))
        fail(`family name "${name.slice(0, 40)}" must be capital letters, digits and _, starting with a letter`);
      if (families.has(name)) fail(`family ${name} is defined twice (first on line ${families.get(name)!.line})`);
      const { slots } = slotsOf(lex(m![2]!, fail), false, fail);
      families.set(name, { items: slots[0]!, line: number });
    } else if (keyword === "rule") {
      const m = /^rule\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+on\s+(\S+))?\s*:(.*)$/s.exec(line);
      if (!m) fail("expected: rule ID CATEGORY WEIGHT [on input|output|input,output]: pattern");
      const [, id, category, weightText, pointsText, body] = m!;
      if (!RULE_ID_RE.test(id!))
        fail(`rule id "${id!.slice(0, 40)}" must be lower-case letters, digits, ".", "_" or "-" (at most 100)`);
      if (!isOwnCategory(category!) && categoryProblem(category!) !== undefined) {
        const shown = category!.slice(0, 60);
        fail(
          category!.startsWith(`${CUSTOM_FAMILY}.`)
            ? categoryProblem(category!)!
            : `category "${shown}" is neither the engine's own (${INJECTION_CATEGORIES.join(", ")}) nor ${categoryChoices()}`,
        );
      }
      if (!WEIGHT_RE.test(weightText!) || Number(weightText) <= 0 || Number(weightText) > RULE_LIMITS.weight) {
        fail(`weight "${weightText!.slice(0, 20)}" must be a number above 0 and at most ${RULE_LIMITS.weight}`);
      }
      const points: ModerationPoint[] = [];
      for (const point of (pointsText ?? "input").split(",")) {
        if (point !== "input" && point !== "output")
          fail(`"on ${pointsText}": points are input, output or input,output`);
        if (!points.includes(point as ModerationPoint)) points.push(point as ModerationPoint);
      }
      const { slots, gaps } = slotsOf(lex(body!, fail), true, fail);
      pending.push({ id: id!, category: category!, weight: Number(weightText), points, slots, gaps, line: number });
      if (pending.length > RULE_LIMITS.rules) fail(`more than ${RULE_LIMITS.rules} rules`);
    } else if (keyword === "disable") {
      const m = /^disable\s+(\S+)$/.exec(line);
      if (!m || !RULE_ID_RE.test(m[1]!)) fail("expected: disable RULE-ID");
      disabled.push({ id: m![1]!, line: number });
    } else {
      fail(`unknown line "${keyword.slice(0, 30)}"; lines start with family, rule, disable or # (a comment)`);
    }
  }

  // Families expanded (memoised, with cycle detection), then rules.
  const expanded = new Map<string, RuleAlternative[]>();
  const expand = (name: string, line: number, stack: string[]): RuleAlternative[] => {
    const done = expanded.get(name);
    if (done) return done;
    const family = families.get(name);
    if (!family) throw new InjectionRulesError(source, line, `unknown family $${name}`);
    if (stack.includes(name)) {
      throw new InjectionRulesError(
        source,
        family.line,
        `family ${name} refers to itself: ${[...stack, name].join(" → ")}`,
      );
    }
    const alternatives = resolve(family.items, family.line, [...stack, name]);
    expanded.set(name, alternatives);
    return alternatives;
  };
  const resolve = (items: SlotItem[], line: number, stack: string[]): RuleAlternative[] => {
    const out: RuleAlternative[] = [];
    const seen = new Set<string>();
    const add = (alt: RuleAlternative) => {
      const key = `${alt.kind}\u0000${alt.prefix}\u0000${alt.text}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push(alt);
      if (out.length > RULE_LIMITS.alternativesPerRule) {
        throw new InjectionRulesError(source, line, `more than ${RULE_LIMITS.alternativesPerRule} alternatives`);
      }
    };
    for (const item of items) {
      if (item.kind === "alt") add(item.alt);
      else for (const alt of expand(item.name, line, stack)) add(alt);
    }
    return out;
  };
  for (const name of families.keys()) expand(name, families.get(name)!.line, []);

  const rules: InjectionRule[] = pending.map((rule) => ({
    id: rule.id,
    category: rule.category,
    weight: rule.weight,
    points: rule.points,
    slots: rule.slots.map((slot) => resolve(slot, rule.line, [])),
    gaps: rule.gaps,
    origin: `${source}:${rule.line}`,
  }));
  return { source, rules, disabled };
}
