/**
 * The servers the benchmark runs, built the way production runs them: each app as its deployable
 * folder (`pnpm --filter <app> build:deploy`, started with plain `node main.mjs`, as in the Docker
 * image), and the baseline bundled the same way, so neither side pays a TypeScript loader.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BENCH_DIR = fileURLToPath(new URL("../", import.meta.url));

/** Where a server's entry lives: its folder and the file `node` runs. */
export interface Deployable {
  cwd: string;
  entry: string;
}

const built = new Map<string, Deployable>();

/**
 * Builds an app's deployable folder once per run (the same command the Dockerfile uses), from this
 * checkout or from `repoRoot`, another installed checkout of the repository (an older commit's).
 */
export function appDeployable(appDir: string, repoRoot = REPO_ROOT): Deployable {
  const key = join(repoRoot, appDir);
  const known = built.get(key);
  if (known) return known;
  const name = (JSON.parse(readFileSync(join(repoRoot, appDir, "package.json"), "utf8")) as { name: string }).name;
  const out = mkdtempSync(join(tmpdir(), "dify-ext-bench-app-"));
  const result = spawnSync("pnpm", ["--filter", name, "build:deploy", "--out", out], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`building the deployable of ${appDir} in ${repoRoot} failed:\n${result.stdout}${result.stderr}`);
  const deployable = { cwd: out, entry: "main.mjs" };
  built.set(key, deployable);
  return deployable;
}

/** The two baselines: plain `node:http` (the limit) and the bare Koa stack the apps are built on. */
export type BaselineKind = "node" | "koa";

const BASELINE_ENTRIES: Record<BaselineKind, string> = { node: "baseline-server.ts", koa: "koa-baseline-server.ts" };

/** Bundles a baseline server once per run, so it runs with plain node like the apps. */
export async function baselineDeployable(kind: BaselineKind = "node"): Promise<Deployable> {
  const key = `baseline-${kind}`;
  const known = built.get(key);
  if (known) return known;
  const out = mkdtempSync(join(tmpdir(), `dify-ext-bench-${key}-`));
  await build({
    entryPoints: [join(BENCH_DIR, "src", BASELINE_ENTRIES[kind])],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: join(out, "baseline.mjs"),
    logLevel: "warning",
    // Koa's dependencies are CommonJS; a bundled ESM file needs `require` for Node's built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  const deployable = { cwd: out, entry: "baseline.mjs" };
  built.set(key, deployable);
  return deployable;
}
