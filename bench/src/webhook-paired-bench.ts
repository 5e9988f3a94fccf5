/**
 * Issue 25, measured so that the machine's other load cancels out: the keyword app with every
 * input call a shadow verdict, without and with a webhook receiver that answers after 5 s, both
 * pinned to the same CPU and loaded at the same time (two load generators on the other CPU), so
 * whatever else runs on the machine slows both alike. Each round reports the ratio of the two
 * servers' requests/s, p99 and server CPU per request; the medians are the figures.
 * (`pnpm bench --only http --apps moderation-keywords+shadow,moderation-keywords+shadow+webhook`
 * measures the same pair one after the other, as the rest of the HTTP benchmark does.)
 *
 *   cd bench && pnpm exec tsx src/webhook-paired-bench.ts [rounds] [seconds] [--control] [--queue <events>]
 *
 * The method is `paired.ts`'s, which compares any two servers this way.
 *
 * `--control` runs two servers without a webhook (the method's own noise: its ratios should be
 * 1); `--queue` sets MODERATION_WEBHOOK_QUEUE_MAX of the webhook side.
 */
import { loadavg } from "node:os";
import { CASES, SHADOW_ID, startUpstreams, WEBHOOK_DELAY_MS, WEBHOOK_ID } from "./http.ts";
import { runPaired, startNamed } from "./paired.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.indexOf(name);
const control = flag("--control") !== -1;
const queue = flag("--queue") === -1 ? undefined : args[flag("--queue") + 1];
const numbers = args.filter((arg, index) => /^\d+$/.test(arg) && args[index - 1] !== "--queue");
const rounds = Number(numbers[0] ?? 9);
const seconds = Number(numbers[1] ?? 5);

const upstreams = await startUpstreams();
const extra: Record<string, string> = queue ? { MODERATION_WEBHOOK_QUEUE_MAX: queue } : {};
const plain = await startNamed(SHADOW_ID, upstreams, extra);
const hooked = await startNamed(control ? SHADOW_ID : WEBHOOK_ID, upstreams, extra);
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(", ");
console.error(`load average at start: ${load()}`);
// The warm-up round also fills the webhook queue.
const summary = await runPaired({
  a: plain,
  b: hooked,
  point: CASES.input.point,
  params: CASES.input.params,
  rounds,
  seconds,
});
console.log(
  `${control ? "control: no webhook on either side" : `webhook receiver answering after ${WEBHOOK_DELAY_MS / 1000} s vs none`}${queue ? ` (queue ${queue})` : ""}, ${CASES.input.label}, ${summary.line}`,
);
console.error(`load average at end: ${load()}`);
await plain.stop();
await hooked.stop();
await Promise.all([upstreams.openai.close(), upstreams.openMeteo.close(), upstreams.webhook.close()]);
