/**
 * The one category vocabulary every engine's findings are named in (docs/categories.md). Each
 * engine maps its own names to it with a table beside its code (OpenAI's in `openai/settings.ts`,
 * the guard families' in `guard/settings.ts`, pii's in `pii/types.ts`; keyword lists name theirs
 * with `# category: …`), so verdicts, audit lines, metrics and per-category actions speak one
 * language whatever engine flagged. Dependency-free: config readers validate names with it.
 */

/** One category: its id (a family and, after a dot, a kind within it) and what it covers. */
export interface CategoryInfo {
  readonly id: string;
  readonly meaning: string;
}

/** The vocabulary. Ids are lower case; `a.b` belongs to the family `a`. */
export const CATEGORIES: readonly CategoryInfo[] = [
  { id: "hate", meaning: "attacks on people for what they are: race, religion, origin, gender, disability, …" },
  { id: "hate.threatening", meaning: "hate that threatens violence or serious harm" },
  { id: "harassment", meaning: "insults, abuse or bullying aimed at a person" },
  { id: "harassment.threatening", meaning: "harassment that threatens" },
  { id: "violence", meaning: "violence threatened, glorified or described" },
  { id: "violence.graphic", meaning: "gory, graphic depictions of violence or injury" },
  { id: "sexual", meaning: "sexual content" },
  { id: "sexual.minors", meaning: "sexual content involving minors" },
  { id: "self-harm", meaning: "suicide and self-harm" },
  { id: "self-harm.intent", meaning: "someone says they mean to harm themselves" },
  { id: "self-harm.instructions", meaning: "instructions for, or encouragement of, self-harm" },
  { id: "illicit", meaning: "how to commit crimes, non-violent crime" },
  { id: "illicit.violent", meaning: "violent crimes, and weapons to commit them" },
  { id: "illicit.sexual", meaning: "sex-related crimes: trafficking, assault" },
  { id: "weapons", meaning: "weapons of mass harm: chemical, biological, nuclear, explosives" },
  { id: "dangerous", meaning: "content that helps someone cause serious harm, broadly" },
  { id: "profanity", meaning: "swearing and obscene words" },
  { id: "defamation", meaning: "false and damaging statements about real people" },
  { id: "specialized-advice", meaning: "financial, medical or legal advice a model should not give" },
  { id: "privacy", meaning: "sensitive private information asked for or disclosed (judged on the whole text)" },
  { id: "intellectual-property", meaning: "copyright and other intellectual-property violations" },
  { id: "elections", meaning: "false information about voting and elections" },
  { id: "political", meaning: "politically sensitive topics" },
  { id: "unethical", meaning: "unethical acts that are not crimes" },
  { id: "code-abuse", meaning: "abuse of a code interpreter or of tools" },
  { id: "injection", meaning: "prompt injection: text that tries to override the application's instructions" },
  { id: "injection.jailbreak", meaning: "jailbreaks: personas and no-limits framings" },
  { id: "injection.prompt-leak", meaning: "asking for the system prompt or secrets; an answer that leaks them" },
  {
    id: "injection.smuggling",
    meaning: "chat-template tokens, and instructions hidden in invisible characters or encodings",
  },
  { id: "pii.email", meaning: "e-mail addresses" },
  { id: "pii.phone", meaning: "phone numbers" },
  { id: "pii.card", meaning: "payment card numbers" },
  { id: "pii.iban", meaning: "bank account numbers (IBAN)" },
  { id: "pii.ip", meaning: "IP addresses" },
  { id: "pii.national-id", meaning: "national identity numbers (China resident ID, US SSN)" },
  { id: "secret.api-key", meaning: "API keys and access tokens (OpenAI, GitHub, Slack, AWS)" },
  { id: "secret.jwt", meaning: "JSON Web Tokens" },
  { id: "secret.private-key", meaning: "private keys (PEM)" },
  { id: "unspecified", meaning: "an engine said the text is unsafe without naming a category it knows" },
  {
    id: "other",
    meaning: "anything else: a keyword list without a `# category:` line, a category an upstream added since",
  },
];

/** The category of a finding whose engine names none it maps (a keyword list without a directive). */
export const OTHER_CATEGORY = "other";

/** An operator's own category (`custom.competitors`), named by a keyword list's `# category:` line. */
export const CUSTOM_FAMILY = "custom";

/** What follows `custom.`: lower-case letters, digits and hyphens, at most 40. */
const CUSTOM_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

const KNOWN = new Set(CATEGORIES.map((category) => category.id));

/** The families (`pii`, `secret`, `hate`, …): every id's part before its dot, and `custom`. */
export const CATEGORY_FAMILIES: readonly string[] = [
  ...new Set([...CATEGORIES.map((category) => category.id.split(".")[0]!), CUSTOM_FAMILY]),
];

/** Whether `id` is a category of the vocabulary, or an operator's own `custom.<name>`. */
export function isCategory(id: string): boolean {
  if (KNOWN.has(id)) return true;
  return id.startsWith(`${CUSTOM_FAMILY}.`) && CUSTOM_NAME.test(id.slice(CUSTOM_FAMILY.length + 1));
}

/** Whether a per-category rule may name `id`: a category, or a family (`pii`, `custom`). */
export function isCategoryOrFamily(id: string): boolean {
  return isCategory(id) || CATEGORY_FAMILIES.includes(id);
}

/** A short text of what a rule may name, for error messages. */
export function categoryChoices(): string {
  return `a category of docs/categories.md (${CATEGORY_FAMILIES.join(", ")}, or one of theirs such as pii.email; custom.<name> for your own)`;
}

/**
 * Why `id` cannot be a category (undefined when it can), for the error naming where it came from.
 * `families` also allows a family name (a per-category rule's key).
 */
export function categoryProblem(id: string, options: { families?: boolean } = {}): string | undefined {
  if (options.families ? isCategoryOrFamily(id) : isCategory(id)) return undefined;
  const shown = id.length > 60 ? `${id.slice(0, 60)}…` : id;
  if (id.startsWith(`${CUSTOM_FAMILY}.`)) {
    return `"${shown}" is not a usable custom category: after "custom." use 1 to 40 lower-case letters, digits and hyphens`;
  }
  return `unknown category "${shown}"; expected ${categoryChoices()}`;
}

/** The id and its family, most specific first: `pii.email` → `pii.email`, `pii`. */
export function categoryAncestry(id: string): string[] {
  const dot = id.indexOf(".");
  return dot === -1 ? [id] : [id, id.slice(0, dot)];
}

/**
 * An engine's own names mapped to the vocabulary by its table: `categories` in the order first
 * seen, each once; a name the table lacks becomes `fallback`.
 */
export function mapCategories(
  names: Iterable<string>,
  table: Readonly<Record<string, string>>,
  fallback: string = OTHER_CATEGORY,
): string[] {
  const out: string[] = [];
  for (const name of names) {
    const category = Object.hasOwn(table, name) ? table[name]! : fallback;
    if (!out.includes(category)) out.push(category);
  }
  return out;
}
