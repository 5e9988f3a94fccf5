import { readdir, readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";

/** The third-party packages in a bundle and the text of THIRD-PARTY-NOTICES.txt. */
export interface Notices {
  /** `name@version`, sorted. */
  packages: string[];
  text: string;
}

/** Licence files at a package's root; `THIRD_PARTY_LICENSES.md` carries e.g. opencc-js's Apache-2.0 data licence. */
const LICENSE_FILE = /^(licen[cs]e|copying|notice|third[-_]party[-_]licen[cs]es)(\.|-|$)/i;

/**
 * Collects name, version, licence and licence text of every npm package that contributed code to
 * the bundle (MIT, ISC, BSD and Apache licences ask for their notices to travel with the code).
 *
 * @param baseDir the folder esbuild's metafile paths are relative to
 * @param inputs the metafile input paths that produced output
 */
export async function thirdPartyNotices(baseDir: string, inputs: readonly string[]): Promise<Notices> {
  const roots = new Set<string>();
  for (const input of inputs) {
    const path = input.split(sep).join("/");
    const at = path.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const rest = path.slice(at + "node_modules/".length).split("/");
    const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    if (name) roots.add(resolve(baseDir, path.slice(0, at), "node_modules", name));
  }
  const entries = new Map<string, string>();
  for (const root of roots) {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
      name?: string;
      version?: string;
      license?: unknown;
    };
    const id = `${manifest.name ?? root}@${manifest.version ?? "?"}`;
    if (entries.has(id)) continue;
    const license = typeof manifest.license === "string" ? manifest.license : "see the package";
    const files = (await readdir(root)).filter((file) => LICENSE_FILE.test(file)).sort();
    const texts = await Promise.all(files.map((file) => readFile(join(root, file), "utf8")));
    const body = texts.length > 0 ? texts.map((t) => t.trim()).join("\n\n") : "(the package ships no licence file)";
    entries.set(id, `${id} (${license})\n\n${body}\n`);
  }
  const packages = [...entries.keys()].sort();
  const rule = "-".repeat(100);
  const text = [
    "Third-party software bundled into main.mjs and its chunks, with the licence notices it ships.",
    "",
    ...packages.map((id) => `${rule}\n${entries.get(id)}`),
  ].join("\n");
  return { packages, text };
}
