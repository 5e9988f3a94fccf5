import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { buildPlaygroundPage } from "@dify-ext/playground/build";
import { build, type Metafile, type Plugin } from "esbuild";
import { thirdPartyNotices } from "./notices.ts";

/** First line of every README.txt this tool writes; marks a folder it may clear and rebuild. */
export const README_HEADER = "Built by dify-ext-bundle.";

// CommonJS dependencies (koa, pino, prom-client, …) call require() for Node built-ins; an ESM bundle
// has no require of its own, so each output file gets one.
const REQUIRE_BANNER =
  'import { createRequire as __difyExtCreateRequire } from "node:module";\nconst require = __difyExtCreateRequire(import.meta.url);';

/**
 * The playground page built now, at bundle time: a deployable carries no esbuild to bundle the
 * page at start-up, so the module that would (`@dify-ext/playground/build`) becomes one that
 * returns the page built here.
 */
const prebuiltPlaygroundPage: Plugin = {
  name: "dify-ext-prebuilt-playground",
  setup(builder) {
    builder.onResolve({ filter: /^@dify-ext\/playground\/build$/ }, (args) => ({
      path: args.path,
      namespace: "dify-ext-playground",
    }));
    builder.onLoad({ filter: /.*/, namespace: "dify-ext-playground" }, async () => ({
      contents: `const page = ${JSON.stringify(await buildPlaygroundPage())};\nexport async function buildPlaygroundPage() { return page; }\n`,
      loader: "js",
    }));
  },
};

export interface BundleOptions {
  /** The app's folder (its package root, with package.json). */
  appDir: string;
  /** The folder to write; created, or cleared when it holds an earlier bundle. */
  outDir: string;
  /** Entry file relative to `appDir`. Default `src/main.ts`. */
  entry?: string;
  /** Minify the code (smaller, harder to read without the source map). Default `false`. */
  minify?: boolean;
}

export interface BundleResult {
  /** The app's package name, e.g. `@dify-ext/moderation-keywords`. */
  app: string;
  outDir: string;
  /** Every file written, relative to `outDir`, with its size in bytes, largest first. */
  files: Array<{ path: string; bytes: number }>;
  /** Total size of the folder in bytes. */
  bytes: number;
  /** Third-party packages bundled into the code, as `name@version`. */
  packages: string[];
}

/** A problem that stops the bundle, with a message that says what to do. */
export class BundleError extends Error {
  override readonly name = "BundleError";
}

/**
 * Bundles an app into a self-contained folder that runs with plain `node main.mjs`: the entry and
 * everything it imports (workspace packages' TypeScript and third-party packages) compiled by
 * esbuild into ES modules for Node 20, lazily imported engines as separate chunks beside
 * `main.mjs`, source maps, a package.json, the
 * third-party licences and a README. Nothing is resolved from node_modules at run time.
 */
export async function bundleApp(options: BundleOptions): Promise<BundleResult> {
  const appDir = resolve(options.appDir);
  const outDir = resolve(options.outDir);
  const entry = options.entry ?? "src/main.ts";
  const manifest = await readAppManifest(appDir);
  const entryFile = resolve(appDir, entry);
  if (!(await isFile(entryFile))) throw new BundleError(`entry ${entry} not found in ${appDir}`);
  await prepareOutDir(outDir, appDir);

  let metafile: Metafile;
  try {
    const result = await build({
      absWorkingDir: appDir,
      entryPoints: { main: entryFile },
      outdir: outDir,
      // Chunks sit beside main.mjs, so code that resolves files against its own import.meta.url
      // finds the same folder whichever chunk it ended up in.
      chunkNames: "[name]-[hash]",
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["node", "import"],
      mainFields: ["module", "main"],
      sourcemap: "linked",
      sourcesContent: false,
      minify: options.minify ?? false,
      // No keepNames: it wraps every closure created at run time in a defineProperty call, a cost on
      // every request (docs/performance.md). Source maps name frames.
      keepNames: false,
      legalComments: "none",
      banner: { js: REQUIRE_BANNER },
      metafile: true,
      logLevel: "silent",
      plugins: [prebuiltPlaygroundPage],
    });
    metafile = result.metafile;
    const warnings = result.warnings.map(
      (w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ""}${w.text}`,
    );
    if (warnings.length > 0) throw new BundleError(`esbuild warnings (treated as errors):\n${warnings.join("\n")}`);
  } catch (error) {
    if (error instanceof BundleError) throw error;
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })
      .errors;
    if (errors) {
      throw new BundleError(
        `esbuild failed:\n${errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("\n")}`,
      );
    }
    throw error;
  }

  const usedInputs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) if (info.bytesInOutput > 0) usedInputs.add(input);
  }
  const notices = await thirdPartyNotices(appDir, [...usedInputs]);
  const shortName = manifest.name.replace(/^@[^/]+\//, "");
  await writeFile(
    join(outDir, "package.json"),
    `${JSON.stringify(
      {
        name: `${shortName}-deploy`,
        version: manifest.version,
        description: manifest.description,
        type: "module",
        private: true,
        scripts: { start: "node main.mjs" },
        engines: { node: ">=20.19" },
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(join(outDir, "THIRD-PARTY-NOTICES.txt"), notices.text);
  await writeFile(join(outDir, "README.txt"), readme(manifest, shortName, notices.packages));

  const files = await listFiles(outDir);
  return {
    app: manifest.name,
    outDir,
    files,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    packages: notices.packages,
  };
}

interface AppManifest {
  name: string;
  version: string;
  description: string;
}

async function readAppManifest(appDir: string): Promise<AppManifest> {
  let text: string;
  try {
    text = await readFile(join(appDir, "package.json"), "utf8");
  } catch {
    throw new BundleError(
      `no package.json in ${appDir}: run dify-ext-bundle in an app's folder (pnpm --filter <app> build:deploy)`,
    );
  }
  const manifest = JSON.parse(text) as Partial<AppManifest>;
  if (typeof manifest.name !== "string") throw new BundleError(`${join(appDir, "package.json")} has no name`);
  return { name: manifest.name, version: manifest.version ?? "0.0.0", description: manifest.description ?? "" };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Creates the output folder, or empties one that holds an earlier bundle. Refuses any other
 * non-empty folder, and folders that contain the app, so a mistyped `--out` cannot delete work.
 */
async function prepareOutDir(outDir: string, appDir: string): Promise<void> {
  const fromOut = relative(outDir, appDir);
  if (fromOut === "" || (!fromOut.startsWith("..") && !isAbsolute(fromOut))) {
    throw new BundleError(`--out ${outDir} contains the app itself; pick an empty or new folder`);
  }
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new BundleError(`--out ${outDir} cannot be read (${error.code ?? error.message})`);
  });
  if (entries === undefined) {
    await mkdir(outDir, { recursive: true });
    return;
  }
  if (entries.length === 0) return;
  const readmeText = await readFile(join(outDir, "README.txt"), "utf8").catch(() => "");
  if (!readmeText.startsWith(README_HEADER)) {
    throw new BundleError(
      `--out ${outDir} is not empty and holds no earlier bundle (no README.txt from dify-ext-bundle); refusing to delete it`,
    );
  }
  for (const entry of entries) await rm(join(outDir, entry), { recursive: true, force: true });
}

async function listFiles(dir: string, prefix = ""): Promise<Array<{ path: string; bytes: number }>> {
  const files: Array<{ path: string; bytes: number }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(join(dir, entry.name), path)));
    else files.push({ path, bytes: (await stat(join(dir, entry.name))).size });
  }
  return files.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
}

function readme(manifest: AppManifest, shortName: string, packages: string[]): string {
  const lines = [
    README_HEADER,
    "",
    `${manifest.name} ${manifest.version}: ${manifest.description}`,
    "",
    "Start it with Node.js 20.19 or later; nothing to install:",
    "",
    "    API_KEYS=<a long random key> NODE_ENV=production node main.mjs",
    "",
    "main.mjs and the *.mjs chunks beside it are the whole program (TypeScript compiled, every",
    "dependency bundled): there is no node_modules and no build step. Configuration is read from",
    "environment variables only; see docs/ of the dify-ext repository for this app's variables.",
    "GET /healthz answers while the process runs, GET /readyz when it can serve, and SIGTERM stops",
    "it gracefully (in-flight requests finish, at most 10 s).",
    "",
    "For stack traces that point into the TypeScript sources, start it with",
    "NODE_OPTIONS=--enable-source-maps (the *.map files are beside the code).",
  ];
  lines.push(
    "",
    `Bundled third-party packages (licences in THIRD-PARTY-NOTICES.txt): ${packages.length === 0 ? "none" : packages.join(", ")}.`,
    "",
    "Rebuild it, or build the Docker image, from the repository root:",
    "",
    `    pnpm --filter ${manifest.name} build:deploy --out <dir>`,
    `    docker build -f deploy/Dockerfile --build-arg APP=${shortName} .`,
    "",
  );
  return wrap(lines).join("\n");
}

/** Wraps long prose lines at 100 columns; indented lines (commands) are left whole. */
function wrap(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line.length <= 100 || line.startsWith("    ")) {
      out.push(line);
      continue;
    }
    let current = "";
    for (const word of line.split(" ")) {
      if (current !== "" && current.length + word.length + 1 > 100) {
        out.push(current);
        current = word;
      } else current = current === "" ? word : `${current} ${word}`;
    }
    if (current !== "") out.push(current);
  }
  return out;
}
