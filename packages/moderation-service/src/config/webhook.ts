import { ConfigError, type Env, integerVar, parseEnvInto } from "@dify-ext/runtime";
import type { VariableDoc } from "../engine-module.ts";
import { z } from "zod";
import { WEBHOOK_SECRET_MIN_LENGTH, WEBHOOK_SETTINGS, type WebhookIntegerSetting } from "../webhooks/settings.ts";
import { WEBHOOK_FORMATS, type WebhookTarget } from "../webhooks/types.ts";

/** The verdict webhooks' settings from env (docs/policies.md#verdict-webhooks). */
export interface WebhookSettings {
  /** MODERATION_WEBHOOK_URL with its format: where every app's events go unless the policy file says otherwise. */
  target?: WebhookTarget;
  /** Secrets by name (`""` is MODERATION_WEBHOOK_SECRET), each a list: during a rotation events carry a signature per secret. */
  secrets: ReadonlyMap<string, readonly string[]>;
  timeoutMs: number;
  maxAttempts: number;
  batchMax: number;
  flushMs: number;
  queueMax: number;
}

const settingVar = (setting: WebhookIntegerSetting) => integerVar(setting.default, setting.min, setting.max);

/** An http(s) URL. Its value is never echoed in an error: a Slack webhook's URL is a secret. */
export const webhookUrl = () => z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });

const secretList = z.string().transform((value, ctx) => {
  const secrets = value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (secrets.length === 0) ctx.addIssue({ code: "custom", message: "expected at least one secret" });
  secrets.forEach((secret, index) => {
    if (secret.length < WEBHOOK_SECRET_MIN_LENGTH) {
      ctx.addIssue({
        code: "custom",
        message: `secret #${index + 1} is shorter than ${WEBHOOK_SECRET_MIN_LENGTH} characters (try: openssl rand -hex 32)`,
      });
    }
  });
  return secrets;
});

export const webhookEnvSchema = z.object({
  MODERATION_WEBHOOK_URL: webhookUrl().optional(),
  MODERATION_WEBHOOK_SECRET: secretList.optional(),
  MODERATION_WEBHOOK_FORMAT: z
    .enum(WEBHOOK_FORMATS as [string, ...string[]], { error: `expected ${WEBHOOK_FORMATS.join(" or ")}` })
    .default("json"),
  MODERATION_WEBHOOK_TIMEOUT_MS: settingVar(WEBHOOK_SETTINGS.timeoutMs),
  MODERATION_WEBHOOK_MAX_ATTEMPTS: settingVar(WEBHOOK_SETTINGS.maxAttempts),
  MODERATION_WEBHOOK_BATCH_MAX: settingVar(WEBHOOK_SETTINGS.batchMax),
  MODERATION_WEBHOOK_FLUSH_MS: settingVar(WEBHOOK_SETTINGS.flushMs),
  MODERATION_WEBHOOK_QUEUE_MAX: settingVar(WEBHOOK_SETTINGS.queueMax),
});

const bounds = (setting: WebhookIntegerSetting, unit = "") => `${setting.min} to ${setting.max}${unit}`;

/** Each webhook variable's default and meaning, for the docs table (docs/policies.md#verdict-webhooks). */
export const WEBHOOK_VARIABLES: Readonly<Record<string, VariableDoc>> = {
  MODERATION_WEBHOOK_URL: {
    default: "unset (no events)",
    meaning:
      "an `http://` or `https://` URL that receives one JSON event per verdict that is not a pass (block, mask, shadow), in batches; the policy file can give apps their own (`webhook:`). Never logged: a Slack webhook's URL is its secret",
  },
  MODERATION_WEBHOOK_SECRET: {
    default: "none; **required** with a `json` receiver",
    meaning: `signs each POST (HMAC-SHA256, header \`Dify-Ext-Signature: t=…,v1=…\`), at least 16 characters (\`openssl rand -hex 32\`); comma-separated to rotate: every POST carries a signature per secret. \`MODERATION_WEBHOOK_SECRET_<NAME>\` holds a secret the policy file names (\`webhook.secret: <name>\`)`,
  },
  MODERATION_WEBHOOK_FORMAT: {
    default: "`json`",
    meaning: "`json` (signed batches of events) or `slack` (a Slack incoming webhook: one message, a line per verdict)",
  },
  MODERATION_WEBHOOK_TIMEOUT_MS: {
    default: `\`${WEBHOOK_SETTINGS.timeoutMs.default}\``,
    meaning: `time one POST may take before it counts as failed and is retried, ${bounds(WEBHOOK_SETTINGS.timeoutMs)}`,
  },
  MODERATION_WEBHOOK_MAX_ATTEMPTS: {
    default: `\`${WEBHOOK_SETTINGS.maxAttempts.default}\``,
    meaning: `POSTs of one batch at most (${bounds(WEBHOOK_SETTINGS.maxAttempts)}): retries after a 5xx, 408, 429, timeout or connection error, with backoff and jitter`,
  },
  MODERATION_WEBHOOK_BATCH_MAX: {
    default: `\`${WEBHOOK_SETTINGS.batchMax.default}\``,
    meaning: `events in one POST at most, ${bounds(WEBHOOK_SETTINGS.batchMax)} (Slack: at most 20)`,
  },
  MODERATION_WEBHOOK_FLUSH_MS: {
    default: `\`${WEBHOOK_SETTINGS.flushMs.default}\``,
    meaning: `how long an event waits for others to fill its batch while nothing is being sent, ${bounds(WEBHOOK_SETTINGS.flushMs)}`,
  },
  MODERATION_WEBHOOK_QUEUE_MAX: {
    default: `\`${WEBHOOK_SETTINGS.queueMax.default}\``,
    meaning: `events waiting at most per receiver (${bounds(WEBHOOK_SETTINGS.queueMax)}); past it new events are dropped, counted and logged`,
  },
};

/** A named secret's variable: MODERATION_WEBHOOK_SECRET_TEAM_A for the name `team_a`. */
export const NAMED_SECRET_PREFIX = "MODERATION_WEBHOOK_SECRET_";
const NAMED_SECRET = /^MODERATION_WEBHOOK_SECRET_([A-Z0-9_]{1,40})$/;

/** The variable that holds a secret of this name (`undefined`: the main one). */
export function secretVariable(name: string | undefined): string {
  return name ? `${NAMED_SECRET_PREFIX}${name.toUpperCase()}` : "MODERATION_WEBHOOK_SECRET";
}

/**
 * Reads the webhook variables; throws a `ConfigError` naming each bad one (never its value).
 * MODERATION_WEBHOOK_SECRET is required with a `json` MODERATION_WEBHOOK_URL: receivers verify events.
 */
export function readWebhookSettings(env: Env): WebhookSettings {
  const problems: string[] = [];
  const app = parseEnvInto(webhookEnvSchema, env, problems);
  const secrets = new Map<string, readonly string[]>();
  if (app?.MODERATION_WEBHOOK_SECRET) secrets.set("", app.MODERATION_WEBHOOK_SECRET);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(NAMED_SECRET_PREFIX) || value === undefined || value.trim() === "") continue;
    const match = NAMED_SECRET.exec(name);
    if (!match) {
      problems.push(`${name.slice(0, 80)}: a secret's name after ${NAMED_SECRET_PREFIX} is 1 to 40 of A-Z, 0-9 and _`);
      continue;
    }
    const parsed = secretList.safeParse(value.trim());
    if (parsed.success) secrets.set(match[1]!.toLowerCase(), parsed.data);
    else for (const issue of parsed.error.issues) problems.push(`${name}: ${issue.message}`);
  }
  if (app?.MODERATION_WEBHOOK_URL && app.MODERATION_WEBHOOK_FORMAT === "json" && !secrets.has("")) {
    problems.push(
      "MODERATION_WEBHOOK_SECRET: required with MODERATION_WEBHOOK_URL: events are signed so the receiver can verify them (MODERATION_WEBHOOK_FORMAT=slack sends unsigned Slack messages)",
    );
  }
  if (problems.length > 0 || !app) throw new ConfigError(problems);
  return {
    ...(app.MODERATION_WEBHOOK_URL && {
      target: {
        url: app.MODERATION_WEBHOOK_URL,
        format: app.MODERATION_WEBHOOK_FORMAT as WebhookTarget["format"],
        where: "MODERATION_WEBHOOK_URL",
      },
    }),
    secrets,
    timeoutMs: app.MODERATION_WEBHOOK_TIMEOUT_MS,
    maxAttempts: app.MODERATION_WEBHOOK_MAX_ATTEMPTS,
    batchMax: app.MODERATION_WEBHOOK_BATCH_MAX,
    flushMs: app.MODERATION_WEBHOOK_FLUSH_MS,
    queueMax: app.MODERATION_WEBHOOK_QUEUE_MAX,
  };
}
