/**
 * Issue 14: the cost of choosing a call's policy by its app_id, in-process, without HTTP's noise.
 * The keyword app's handlers with a policy file of 1,000 apps (the call's app among them) against
 * the same app without a file, on the HTTP benchmark's input case; rounds alternate the two sides.
 *
 *   cd bench && pnpm exec tsx src/policy-select-bench.ts [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModerationApp, type ModerationApp } from "@dify-ext/moderation-service";
import { readCommonSettings, readPolicySettings } from "@dify-ext/moderation-service/config";
import { silentLogger } from "@dify-ext/receive";
import { CASES } from "./http.ts";
import { keywords } from "@dify-ext/moderation-service/engines/keywords";

const rounds = Number(process.argv[2] ?? 15);
const APPS = 1000;
const CALLS = 5000;

const dir = mkdtempSync(join(tmpdir(), "dify-ext-policy-select-"));
const lines = ["apps:"];
for (let i = 0; i < APPS - 1; i++) lines.push(`  app-${i}: { input: { action: block } }`);
lines.push(`  ${CASES.input.params.app_id}: { input: { action: block } }`);
writeFileSync(join(dir, "policy.yaml"), `${lines.join("\n")}\n`);

const env = { API_KEYS: "bench-key-0123456789", KEYWORDS_WATCH: "false" };
const config = {
  common: readCommonSettings(env),
  port: 0,
  policy: readPolicySettings(env),
  engines: { keywords: keywords.read(env) },
};
const none = await createModerationApp({ config, logger: silentLogger, watchPolicy: false });
const many = await createModerationApp({
  config: { ...config, policyFile: join(dir, "policy.yaml") },
  logger: silentLogger,
  watchPolicy: false,
});

/** Mean nanoseconds per input call through the app's handler (policy choice, engines, reply). */
async function perCall(app: ModerationApp, calls: number): Promise<number> {
  const handler = app.moderation.handlers["app.moderation.input"];
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    await handler(CASES.input.params, { requestId: "bench", logger: silentLogger, logFields: {} });
  }
  return Number(process.hrtime.bigint() - started) / calls;
}

for (let i = 0; i < 3; i++) {
  await perCall(none, CALLS / 2);
  await perCall(many, CALLS / 2);
}
const ratios: number[] = [];
const ns: Array<[number, number]> = [];
for (let round = 0; round < rounds; round++) {
  const a = await perCall(none, CALLS);
  const b = await perCall(many, CALLS);
  ratios.push(b / a);
  ns.push([a, b]);
}
ratios.sort((x, y) => x - y);
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
console.log(
  `policy file of ${APPS} apps vs none, ${CASES.input.label}, in-process: ` +
    `${median(ns.map(([a]) => a / 1000)).toFixed(1)} vs ${median(ns.map(([, b]) => b / 1000)).toFixed(1)} µs per call; ` +
    `ratio median ${ratios[Math.floor(rounds / 2)]!.toFixed(3)} (range ${ratios[0]!.toFixed(3)}–${ratios.at(-1)!.toFixed(3)}, ${rounds} rounds)`,
);
none.close();
many.close();
rmSync(dir, { recursive: true, force: true });
