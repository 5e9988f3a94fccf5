/**
 * Measures what the guard app adds to each call of the model: a Dify input call through the app
 * (a text never sent before, so the model is asked; and a repeated one, answered from the cache)
 * against the same chat completion sent straight to the fake model, interleaved round by round
 * (this machine's speed drifts). The fake answers at once, so the difference is our overhead: HTTP
 * in and out, auth, validation, policy, the SDK and the parse. A real guard model's own time (tens
 * to hundreds of milliseconds on a GPU) comes on top and is not measured here.
 *
 *   pnpm --filter @dify-ext/moderation-guard exec tsx test/measure-overhead.ts [rounds]
 */
import { fileURLToPath } from "node:url";
import { difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { startFakeGuard } from "@dify-ext/test-support/fake-guard";

const rounds = Number(process.argv[2] ?? 300);
const KEY = "measure-key-0123456789";
const fake = await startFakeGuard();
const app = await startAppProcess({
  cwd: fileURLToPath(new URL("..", import.meta.url)),
  env: { API_KEYS: KEY, GUARD_BASE_URL: fake.url, GUARD_MODEL: "llama-guard3:8b" },
  startTimeoutMs: 60_000,
});

const time = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
const direct = (text: string) =>
  fetch(`${fake.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "llama-guard3:8b",
      temperature: 0,
      stream: false,
      max_tokens: 32,
      messages: [{ role: "user", content: text }],
    }),
  }).then((r) => r.json());
const viaApp = (text: string) =>
  difyCall(app.receiveUrl, KEY, "app.moderation.input", { app_id: "m", inputs: {}, query: text }).then((r) => r.json());

const samples = { direct: [] as number[], fresh: [] as number[], cached: [] as number[] };
const sentence = "How do I grow tomatoes on a balcony in a windy city, and which varieties suit pots?";
for (let i = 0; i < 30; i++) await viaApp(`warm-up ${i} ${sentence}`); // JIT, connections
for (let i = 0; i < rounds; i++) {
  samples.direct.push(await time(() => direct(`direct ${i} ${sentence}`)));
  samples.fresh.push(await time(() => viaApp(`fresh ${i} ${sentence}`)));
  samples.cached.push(await time(() => viaApp(`warm-up 0 ${sentence}`)));
}
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
const row = (name: string, values: number[]) =>
  `| ${name} | ${quantile(values, 0.5).toFixed(2)} ms | ${quantile(values, 0.9).toFixed(2)} ms |`;
console.log(`${rounds} rounds, interleaved; one 84-character input text per call`);
console.log("| call | median | p90 |\n| --- | --- | --- |");
console.log(row("chat completion straight to the fake model", samples.direct));
console.log(row("Dify input call through the app, model asked", samples.fresh));
console.log(row("Dify input call through the app, cached verdict", samples.cached));
const overhead = samples.fresh.map((ms, i) => ms - samples.direct[i]!);
console.log(
  `overhead per model call (app − direct, per round): median ${quantile(overhead, 0.5).toFixed(2)} ms, p90 ${quantile(overhead, 0.9).toFixed(2)} ms`,
);
await app.stop();
await fake.close();
