import { APP_ID_MAX_LENGTH } from "@dify-ext/protocol";
import { type Document, isAlias, isCollection, isMap, isNode, isScalar, isSeq, parseDocument, visit } from "yaml";
import { z } from "zod";
import { ConfigError } from "./env.ts";

/**
 * Per-app settings files: one file (YAML, or JSON, which is YAML too) holding a `default` section
 * and an `apps` map from Dify's `app_id` to a section that overrides it. The moderation apps read
 * their policies this way (MODERATION_POLICY_FILE), the weather app its per-app settings
 * (WEATHER_APPS_FILE); each app gives the schema of one section.
 *
 * ```yaml
 * version: "2026-12-01"      # optional; shown in audit lines (a hash of the file when absent)
 * default: { ... }            # optional: over the app's environment configuration
 * apps:
 *   0d9f2c1e-...: { ... }     # over `default`, for calls whose app_id is this
 * ```
 */
export interface PerAppFile<T> {
  /** The file's `version`, or `sha256:` and the first 12 hex digits of its text's hash. */
  version: string;
  /** The `default` section, or `undefined` when the file has none. */
  defaults: T | undefined;
  /** The `apps` sections by app id (a Map: an app id such as `__proto__` is an ordinary key here). */
  apps: Map<string, T>;
}

/** The label metrics give a call whose app id the file does not name (or a call without one). */
export const OTHER_APP = "other";

/** Longest app id the file may name: the longest a call may carry (Dify's are UUIDs, 36 characters). */
export { APP_ID_MAX_LENGTH };

/** Largest settings file read: a policy for thousands of apps fits in far less. */
export const PER_APP_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** A key as the file wrote it, cut for a message. */
function clipped(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
        ? `${out ? "." : ""}${key}`
        : `${out ? "." : ""}${JSON.stringify(key)}`;
    }
  }
  return out || "(file)";
}

/** Each zod issue as `path: message`, the path written the way the file spells it (`apps."tutor".input`). */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => `${pathOf([...prefix, ...issue.path])}: ${issue.message}`);
}

/**
 * The size of the document with every alias expanded: the characters of its scalars, plus one for
 * each and two for each collection (about the length of the same data written as JSON); `"cycle"`
 * when an alias refers to a node that contains it. Stops past `limit` with a size above it.
 * Linear in the document's nodes, whatever the aliases: walked in document order, each anchored
 * node's size is known by the time an alias refers to it (an alias can only refer to an anchor
 * before it, or to one of its own ancestors: a cycle).
 */
function expandedSize(document: Document, limit: number): number | "cycle" {
  const anchors = new Map<string, unknown>();
  const sizes = new Map<unknown, number>();
  // Nodes to enter, and collections to close once their children are counted.
  const work: Array<{ node: unknown; close: boolean }> = [{ node: document.contents, close: false }];
  // The running sizes of the collections entered and not yet closed, innermost last.
  const open: number[] = [];
  let total = 0;
  const add = (size: number): boolean => {
    if (open.length === 0) total = size;
    else open[open.length - 1]! += size;
    return (open.at(-1) ?? total) <= limit;
  };
  while (work.length > 0) {
    const { node, close } = work.pop()!;
    if (close) {
      const size = open.pop()!;
      sizes.set(node, size);
      if (!add(size)) return limit + 1;
      continue;
    }
    if (isNode(node) && !isAlias(node) && node.anchor) anchors.set(node.anchor, node);
    if (isMap(node) || isSeq(node)) {
      open.push(2);
      work.push({ node, close: true });
      const children: unknown[] = isMap(node) ? node.items.flatMap((pair) => [pair.key, pair.value]) : node.items;
      for (let i = children.length - 1; i >= 0; i--) work.push({ node: children[i], close: false });
      continue;
    }
    let size = 1;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target !== undefined) {
        const known = sizes.get(target);
        if (known === undefined) return "cycle";
        size = known;
      }
    } else if (isScalar(node)) {
      const value = node.value;
      size += typeof value === "string" ? value.length : (node.source ?? String(value)).length;
      if (node.anchor) sizes.set(node, size);
    }
    if (!add(size)) return limit + 1;
  }
  return total;
}

/** The hash-based version of a file without a `version` field. */
async function contentVersion(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = Array.from(new Uint8Array(bytes).slice(0, 6), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `sha256:${hex}`;
}

/**
 * Parses a per-app settings file. `section` validates the `default` section and each app's; it
 * should be strict, so a misspelt field is an error rather than a setting silently ignored.
 * Throws a `ConfigError` whose lines name the file and the field (`policy.yaml: apps."tutor".mode: …`).
 */
export async function parsePerAppFile<S extends z.ZodType>(
  text: string,
  source: string,
  section: S,
): Promise<PerAppFile<z.output<S>>> {
  const fail = (problems: string[]): never => {
    throw new ConfigError(problems.map((problem) => `${source}: ${problem}`));
  };
  if (text.length > PER_APP_FILE_MAX_BYTES) fail([`larger than ${PER_APP_FILE_MAX_BYTES} bytes`]);
  // A key written twice is an error, not "the last one wins". Keys that are equal only once converted
  // to text (`1` and `"1"`) are left to the app id check below, which names both.
  const document = parseDocument(text, {
    uniqueKeys: (a, b) =>
      a === b ||
      (isScalar(a) && isScalar(b) && a.value === b.value && (typeof a.value === "string" || a.source === b.source)),
    prettyErrors: false,
  });
  if (document.errors.length > 0) {
    fail(document.errors.slice(0, 5).map((error) => `not valid YAML or JSON: ${error.message.split("\n")[0]}`));
  }
  // A file truncated in place to be rewritten is empty for a moment: never read that as "no
  // settings" (every app would fall back to the environment's). A file that sets nothing says `{}`.
  if (document.contents === null) {
    fail([
      "the file is empty (nothing but blanks or comments); write {} for a file that sets nothing, and write the file elsewhere and rename it into place so that it is never read half-written",
    ]);
  }
  // Aliases are bounded by what they produce, not only by their number: 90 aliases of a 100,000-item
  // list are 9 million items to convert, check and build engines from. Expanded, the file may hold no
  // more than a file without aliases may.
  const size = expandedSize(document, PER_APP_FILE_MAX_BYTES);
  if (size === "cycle") fail(["not usable: an alias refers to a node that contains it"]);
  if (typeof size === "number" && size > PER_APP_FILE_MAX_BYTES) {
    fail([
      `not usable: its aliases expand it past ${PER_APP_FILE_MAX_BYTES} characters, the most a settings file may hold; write out what they share, or share it fewer times`,
    ]);
  }
  // A list or map as a key (`? [a, b]`) is no app id or field name (and JS would stringify it).
  let collectionKey = false;
  visit(document, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        collectionKey = true;
        return visit.BREAK;
      }
    },
  });
  if (collectionKey) fail(["not usable: a key is a list or a map; keys are text"]);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml refuses an alias expanding past maxAliasCount (a "billion laughs" file) by throwing.
    return fail([`not usable: ${(error as Error).message}`]);
  }
  const file = z
    .strictObject({
      version: z.union([z.string(), z.number()]).transform(String).optional(),
      default: z.unknown().optional(),
      apps: z.record(z.string(), z.unknown()).optional(),
    })
    .safeParse(data ?? {});
  if (!file.success) return fail(describeIssues(file.error));

  const problems: string[] = [];
  const read = (value: unknown, path: PropertyKey[]): z.output<S> | undefined => {
    // `tutor:` with nothing after it is how a file cut off mid-write ends; `tutor: {}` takes the defaults.
    if (value === null || value === undefined) {
      problems.push(`${pathOf(path)}: empty; write {} for no settings of its own`);
      return undefined;
    }
    const result = section.safeParse(value);
    if (result.success) return result.data;
    for (const problem of describeIssues(result.error, path)) problems.push(problem);
    return undefined;
  };
  const defaults = file.data.default === undefined ? undefined : read(file.data.default, ["default"]);
  // The app ids from the document's own nodes: a plain object would drop an id such as `__proto__`.
  const apps = new Map<string, z.output<S>>();
  const appsNode = isMap(document.contents) ? document.contents.get("apps", true) : undefined;
  if (isMap(appsNode)) {
    // Each app id, and how the file wrote it: Dify sends app ids as text, so `1` and `"1"` are one id.
    const written = new Map<string, string>();
    for (const pair of appsNode.items) {
      const key = pair.key;
      if (!isScalar(key)) {
        problems.push("apps: an app id must be text, not an alias");
        continue;
      }
      const source = typeof key.value === "string" ? JSON.stringify(key.value) : (key.source ?? String(key.value));
      const appId = String(key.value);
      // A key YAML reads as a number (or true, null) is that number's text only when written so;
      // `1.0`, `0x1F` or `~` would silently become "1", "31" or "null".
      if (typeof key.value !== "string" && appId !== source) {
        problems.push(
          `apps: key ${clipped(source)} is read as ${typeof key.value === "number" ? "the number" : "the value"} ${appId}, not as the app id "${clipped(source)}": quote it ("${clipped(source)}") if that is the app id`,
        );
        continue;
      }
      const before = written.get(appId);
      if (before !== undefined) {
        problems.push(
          `apps: app id "${clipped(appId)}" is named twice, as ${clipped(before)} and as ${clipped(source)}`,
        );
        continue;
      }
      written.set(appId, source);
      if (appId.trim().length === 0 || appId.length > APP_ID_MAX_LENGTH) {
        const shown = appId.length > 40 ? `${appId.slice(0, 40)}…` : appId;
        problems.push(`apps: app id "${shown}" must be 1 to ${APP_ID_MAX_LENGTH} characters and not blank`);
        continue;
      }
      const value: unknown = isNode(pair.value) ? pair.value.toJS(document, { maxAliasCount: 100 }) : pair.value;
      const parsed = read(value, ["apps", appId]);
      if (parsed !== undefined) apps.set(appId, parsed);
    }
  }
  if (problems.length > 0) fail(problems);
  return { version: file.data.version ?? (await contentVersion(text)), defaults, apps };
}
