/**
 * `dify-ext-bundle`: run in an app's folder (`pnpm --filter <app> build:deploy [--out <dir>]`) to
 * build that app into a folder that starts with plain `node main.mjs`.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BundleError, bundleApp } from "./bundle.ts";

const USAGE = `usage: dify-ext-bundle [--out <dir>] [--entry <file>] [--minify]

Builds the app in the current folder into a self-contained folder that runs with plain
\`node main.mjs\` (no node_modules, no TypeScript at run time). Run it through the app's script:

  pnpm --filter @dify-ext/moderation-keywords build:deploy --out /srv/moderation-keywords

  --out <dir>     folder to write; created, or replaced when it holds an earlier bundle.
                  Relative to where you ran pnpm. Default: dist/deploy in the app's folder
  --entry <file>  entry file, relative to the app's folder. Default: src/main.ts
  --minify        minify the code (smaller; read stack traces with the source maps)
  -h, --help      show this help`;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

async function main(): Promise<number> {
  let values: { out?: string; entry?: string; minify?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        out: { type: "string" },
        entry: { type: "string" },
        minify: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`dify-ext-bundle: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const appDir = process.cwd();
  // pnpm runs scripts in the package's folder and sets INIT_CWD to where the user ran it.
  const outDir =
    values.out === undefined ? resolve(appDir, "dist/deploy") : resolve(process.env.INIT_CWD ?? appDir, values.out);
  const started = performance.now();
  const result = await bundleApp({ appDir, outDir, entry: values.entry, minify: values.minify });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const shown = relative(process.env.INIT_CWD ?? appDir, result.outDir);
  const where = shown === "" || shown.startsWith("..") || isAbsolute(shown) ? result.outDir : shown;

  console.log(`${result.app} → ${where} (${seconds} s)\n`);
  const width = Math.max(...result.files.map((file) => file.path.length));
  for (const file of result.files) console.log(`  ${file.path.padEnd(width)}  ${formatBytes(file.bytes).padStart(10)}`);
  console.log(
    `\n  ${"total".padEnd(width)}  ${formatBytes(result.bytes).padStart(10)}  (${result.files.length} files)`,
  );
  console.log(`\n${result.packages.length} third-party packages bundled.`);
  console.log(`Start: cd ${where} && API_KEYS=<key> NODE_ENV=production node main.mjs`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`dify-ext-bundle: ${error instanceof BundleError ? error.message : (error as Error).stack}`);
    process.exitCode = 1;
  },
);
