import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

/** One POST the receiver got: its headers (lower case) and raw body, and when. */
export interface ReceivedDelivery {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/**
 * What the receiver does with a request: answer with a status (after `delayMs`), or `hang` (never
 * answer: the connection stays open until the sender gives up or the receiver closes).
 */
export type ReceiverAnswer = { status: number; delayMs?: number; headers?: Record<string, string> } | { hang: true };

/** A webhook receiver on loopback, as an operator's audit service or Slack would run one. */
export interface FakeWebhookReceiver {
  url: string;
  /** Every POST, in the order received (those it hangs on or refuses included). */
  deliveries: ReceivedDelivery[];
  /** Answers for the next requests, in order; after them, `fallback`. */
  script(...answers: ReceiverAnswer[]): void;
  /** The answer once the script is used up (default 200). */
  fallback: ReceiverAnswer;
  /** The events of every answered-with-2xx JSON delivery, in order. */
  acceptedEvents(): Array<Record<string, unknown>>;
  /** Resolves when `count` deliveries have arrived (rejects after `timeoutMs`). */
  waitForDeliveries(count: number, timeoutMs?: number): Promise<void>;
  /** Answers every request it is hanging on with `status` now. */
  release(status?: number): void;
  close(): Promise<void>;
}

/**
 * Starts a webhook receiver on a free loopback port: it records each POST's headers and raw body
 * and answers as scripted (a status, a delay, or never), so tests and the benchmark can play a
 * healthy, failing, slow or hanging receiver.
 */
export async function startFakeWebhookReceiver(
  options: { fallback?: ReceiverAnswer } = {},
): Promise<FakeWebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const accepted: ReceivedDelivery[] = [];
  const queued: ReceiverAnswer[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  const answer = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    const delivery: ReceivedDelivery = { headers, body, receivedAt: Date.now() };
    deliveries.push(delivery);
    for (const waiter of [...waiters]) {
      if (deliveries.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    const next = queued.shift() ?? receiver.fallback;
    if ("hang" in next) {
      hanging.add(response);
      response.on("close", () => hanging.delete(response));
      return;
    }
    const respond = () => {
      if (next.status >= 200 && next.status < 300) accepted.push(delivery);
      response.writeHead(next.status, { "content-type": "text/plain", ...next.headers });
      response.end(next.status < 300 ? "ok" : "no");
    };
    if (next.delayMs) setTimeout(respond, next.delayMs);
    else respond();
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => answer(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  const listening = await listenOnLoopback(server);

  const receiver: FakeWebhookReceiver = {
    url: `http://127.0.0.1:${listening.port}/hooks/dify-ext`,
    deliveries,
    fallback: options.fallback ?? { status: 200 },
    script: (...answers) => queued.push(...answers),
    acceptedEvents: () =>
      accepted.flatMap((delivery) => {
        const parsed = JSON.parse(delivery.body) as { events?: Array<Record<string, unknown>> };
        return parsed.events ?? [];
      }),
    waitForDeliveries(count, timeoutMs = 20_000) {
      if (deliveries.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`expected ${count} webhook deliveries within ${timeoutMs} ms, got ${deliveries.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    release(status = 200) {
      for (const response of [...hanging]) {
        hanging.delete(response);
        response.writeHead(status).end();
      }
    },
    close: () => listening.close(),
  };
  return receiver;
}
