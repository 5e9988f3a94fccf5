import type { Logger } from "@dify-ext/receive";
import type { WebhookObserver } from "@dify-ext/runtime";
import type { WebhookSettings } from "../config/webhook.ts";
import { createWebhookSender, type WebhookSender } from "./sender.ts";
import type { WebhookHub, WebhookTarget } from "./types.ts";

/** A receiver's sender is shared by every target with the same URL, format and secret. */
const keyOf = (target: WebhookTarget) => `${target.format} ${target.secret ?? ""} ${target.url}`;

/**
 * The verdict-webhook senders of a service under Node, one per receiver, made when a policy first
 * names it and kept across policy reloads (a reload loses no queued event); `close` at shutdown
 * sends what is queued for up to WEBHOOK_SHUTDOWN_MS.
 */
export function createWebhookHub(
  settings: WebhookSettings,
  options: { service: string; logger: Logger; observer?: WebhookObserver },
): WebhookHub & { senders(): readonly WebhookSender[] } {
  const senders = new Map<string, WebhookSender>();
  return {
    secrets: new Set(settings.secrets.keys()),
    sink(target) {
      const key = keyOf(target);
      let sender = senders.get(key);
      if (!sender) {
        sender = createWebhookSender({
          target,
          secrets: settings.secrets.get(target.secret ?? "") ?? [],
          timeoutMs: settings.timeoutMs,
          maxAttempts: settings.maxAttempts,
          batchMax: settings.batchMax,
          flushMs: settings.flushMs,
          queueMax: settings.queueMax,
          ...options,
        });
        senders.set(key, sender);
      }
      return sender;
    },
    retain(targets) {
      const kept = new Set([...targets].map(keyOf));
      for (const [key, sender] of senders) {
        if (kept.has(key)) continue;
        senders.delete(key);
        void sender.close();
      }
    },
    async close() {
      const all = [...senders.values()];
      senders.clear();
      await Promise.all(all.map((sender) => sender.close()));
    },
    senders: () => [...senders.values()],
  };
}
