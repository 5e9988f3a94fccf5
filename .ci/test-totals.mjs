// Sums the counts vitest wrote to each package's .vitest-results.json and prints
// `tests: N passed, M failed`. Exits non-zero when a test failed or a package wrote no results.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const dirs = ["bench", ...["apps", "packages"].flatMap((group) => readdirSync(group).map((name) => join(group, name)))];
for (const dir of dirs) {
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
  const file = join(dir, ".vitest-results.json");
  if (!existsSync(file)) {
    missing.push(dir);
    continue;
  }
  const results = JSON.parse(readFileSync(file, "utf8"));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + results.numTodoTests;
  console.log(`${dir}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`);
}
if (missing.length > 0) console.log(`no test results from: ${missing.join(", ")}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
