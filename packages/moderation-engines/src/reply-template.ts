/**
 * Reply templates: the preset response Dify shows for a blocked message or answer, with
 * placeholders filled per call. The placeholders say why and where (the category, the engine, the
 * app, the request id to quote to support), never the user's text; the matched list terms only
 * when the operator opts in (`{terms}`). Platform-neutral.
 */

/** The placeholders every template may use. */
export const REPLY_PLACEHOLDERS = ["category", "categories", "engine", "app_id", "request_id"] as const;

/** The placeholder of the matched terms, allowed only when the operator opts in. */
export const TERMS_PLACEHOLDER = "terms";

type Placeholder = (typeof REPLY_PLACEHOLDERS)[number] | typeof TERMS_PLACEHOLDER;

/** What a template is filled with. */
export interface ReplyValues {
  /** The category that decided the verdict (`unknown` when none did: an engine failed). */
  category: string | undefined;
  categories: readonly string[];
  engines: readonly string[];
  appId: string | undefined;
  requestId: string | undefined;
  /** The list terms or rule names that matched (only with the opt-in). */
  terms: readonly string[];
}

/** A template that cannot be used; the message names the placeholder. */
export class ReplyTemplateError extends Error {
  override readonly name = "ReplyTemplateError";
}

/** A compiled template. */
export interface ReplyTemplate {
  readonly source: string;
  /** No placeholder: every call gets the same text (`source` with `{{`/`}}` unescaped). */
  readonly fixed: boolean;
  /** Uses `{terms}`: such replies are recognised as the service's own only by remembering them. */
  readonly usesTerms: boolean;
  render(values: ReplyValues): string;
  /**
   * Whether `text` is this template as rendered for a call of `appId` (Dify may send a preset
   * response back for output moderation). Each placeholder matches only what it can render to:
   * category names, the engines' names, a request id's characters, the call's own app id.
   * Always `false` for a template with `{terms}`.
   */
  recognizes(text: string, appId: string | undefined): boolean;
}

/** Longest app id a reply shows (Dify's are 36-character UUIDs). */
const APP_ID_SHOWN = 200;
/** Text of `{category}` and `{categories}` when no category decided (an engine failed). */
export const UNKNOWN_CATEGORY_TEXT = "unknown";

/** What each placeholder can render to, as a pattern, and at most how long. */
const SHAPES: Record<Exclude<Placeholder, "terms" | "app_id">, { pattern: string; max: number }> = {
  category: { pattern: "[a-z0-9.-]{1,60}", max: 60 },
  categories: { pattern: "[a-z0-9., -]{1,1000}", max: 1000 },
  engine: { pattern: "[a-z0-9, -]{0,200}", max: 200 },
  request_id: { pattern: "[A-Za-z0-9_.:-]{0,128}", max: 128 },
};

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function known(allowTerms: boolean): string {
  const names = REPLY_PLACEHOLDERS.map((name) => `{${name}}`).join(", ");
  return allowTerms ? `${names}, {${TERMS_PLACEHOLDER}}` : names;
}

/**
 * Compiles a template. `{name}` is a placeholder; `{{` and `}}` write a literal brace; any other
 * brace is literal. Throws {@link ReplyTemplateError} naming an unknown placeholder, or `{terms}`
 * without `allowTerms`.
 */
export function compileReplyTemplate(source: string, options: { allowTerms?: boolean } = {}): ReplyTemplate {
  const allowTerms = options.allowTerms === true;
  const parts: Part[] = [];
  let literal = "";
  let cursor = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    literal += source.slice(cursor, match.index);
    cursor = match.index + match[0].length;
    if (match[0] === "{{" || match[0] === "}}") {
      literal += match[0][0];
      continue;
    }
    const name = match[1]!;
    if (name === TERMS_PLACEHOLDER && !allowTerms) {
      throw new ReplyTemplateError(
        `{${TERMS_PLACEHOLDER}} shows the matched list terms to the end user; it needs reply_shows_terms: true (MODERATION_REPLY_SHOWS_TERMS=true)`,
      );
    }
    if (name !== TERMS_PLACEHOLDER && !(REPLY_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ReplyTemplateError(
        `unknown placeholder {${name}}; known: ${known(allowTerms)} (write {{ for a literal brace)`,
      );
    }
    if (literal !== "") parts.push({ literal });
    literal = "";
    parts.push({ name: name as Placeholder });
  }
  literal += source.slice(cursor);
  if (literal !== "") parts.push({ literal });

  const fixed = parts.every((part) => "literal" in part);
  const text = fixed ? parts.map((part) => ("literal" in part ? part.literal : "")).join("") : undefined;
  const usesTerms = parts.some((part) => "name" in part && part.name === TERMS_PLACEHOLDER);

  let maxLength = 0;
  let pattern = "^";
  let appIdGroups = 0;
  for (const part of parts) {
    if ("literal" in part) {
      maxLength += part.literal.length;
      pattern += escapeRegExp(part.literal);
    } else if (part.name === "app_id") {
      maxLength += APP_ID_SHOWN;
      pattern += `([\\s\\S]{0,${APP_ID_SHOWN}})`;
      appIdGroups++;
    } else if (part.name !== TERMS_PLACEHOLDER) {
      maxLength += SHAPES[part.name].max;
      pattern += SHAPES[part.name].pattern;
    }
  }
  const matcher = fixed || usesTerms ? undefined : new RegExp(`${pattern}$`);

  return {
    source,
    fixed,
    usesTerms,
    render(values) {
      if (text !== undefined) return text;
      let out = "";
      for (const part of parts) out += "literal" in part ? part.literal : placeholderText(part.name, values);
      return out;
    },
    recognizes(candidate, appId) {
      if (text !== undefined) return candidate === text;
      if (!matcher || candidate.length > maxLength) return false;
      const found = matcher.exec(candidate);
      if (!found) return false;
      const shown = (appId ?? "").slice(0, APP_ID_SHOWN);
      for (let group = 1; group <= appIdGroups; group++) if (found[group] !== shown) return false;
      return true;
    },
  };
}

type Part = { literal: string } | { name: Placeholder };

function placeholderText(name: Placeholder, values: ReplyValues): string {
  switch (name) {
    case "category":
      return values.category ?? UNKNOWN_CATEGORY_TEXT;
    case "categories":
      return values.categories.length > 0 ? values.categories.join(", ") : UNKNOWN_CATEGORY_TEXT;
    case "engine":
      return values.engines.join(", ");
    case "app_id":
      return (values.appId ?? "").slice(0, APP_ID_SHOWN);
    case "request_id":
      return values.requestId ?? "";
    case "terms":
      return values.terms.join(", ");
  }
}

/** Why `source` cannot be a template (undefined when it can), for an error naming where it came from. */
export function replyTemplateProblem(source: string, options: { allowTerms?: boolean } = {}): string | undefined {
  try {
    compileReplyTemplate(source, options);
    return undefined;
  } catch (error) {
    if (error instanceof ReplyTemplateError) return error.message;
    throw error;
  }
}
