/**
 * Node-only part of the keyword engine: reads list files and reloads them when they change.
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { KeywordEngine } from "./keyword-engine.ts";
import { createKeywordMatcher, type KeywordMatcher } from "./matcher.ts";
import { type KeywordList, type ListFold, type MatchMode, parseKeywordList } from "./parse.ts";
import { loadReadingsFor } from "./readings.ts";

/**
 * Set only inside a deployable built by `dify-ext-bundle` (an esbuild `define`): the sample lists'
 * folder relative to the bundled code, which no longer sits in this package's `src/keywords/`.
 */
declare const DIFY_EXT_BUNDLED_LISTS_DIR: string | undefined;

/** The folder of the sample lists: this package's `lists/`, or the copy beside a bundle. */
const SAMPLE_LISTS_DIR = new URL(
  typeof DIFY_EXT_BUNDLED_LISTS_DIR === "string" ? DIFY_EXT_BUNDLED_LISTS_DIR : "../../lists/",
  import.meta.url,
);

/**
 * The bundled sample block list (English, Chinese and Japanese terms), used by the apps when no
 * list is configured so that they run with no configuration.
 */
export const SAMPLE_LIST_FILE = fileURLToPath(new URL("sample.txt", SAMPLE_LISTS_DIR));
/** The bundled sample allow-list that goes with the sample block list. */
export const SAMPLE_ALLOW_LIST_FILE = fileURLToPath(new URL("sample-allow.txt", SAMPLE_LISTS_DIR));

/** A keyword file could not be read or parsed; the message names the file. */
export class KeywordFileError extends Error {
  override readonly name = "KeywordFileError";
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`keyword file ${file}: ${message}`, options);
  }
}

export interface KeywordFilesOptions {
  /** Block-list files; each becomes a list named after the file (base name without extension). */
  listFiles: readonly string[];
  /** Allow-list files (same format; match directives are ignored, allow terms match anywhere). */
  allowFiles?: readonly string[];
  /** Default match mode of lists without a directive. Default `"word"`. */
  match?: MatchMode;
  /** Catch terms written with separators between letters. Default `false`. */
  separators?: boolean;
  /**
   * Folds by list file (a path as given in `listFiles`), replacing the file's own `# fold:`
   * directives (an empty array turns them off): how a policy file sets them per list.
   */
  folds?: Readonly<Record<string, readonly ListFold[]>>;
}

/** Reads and parses one list file, with errors that name the file and, where known, the line. */
async function readList(file: string): Promise<KeywordList> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "does not exist"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : code === "EACCES" || code === "EPERM"
            ? "cannot be read (permission denied)"
            : `cannot be read (${code ?? (error as Error).message})`;
    throw new KeywordFileError(file, reason, { cause: error });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = countLines(bytes, at);
    throw new KeywordFileError(file, `line ${line}: not valid UTF-8 (byte offset ${at}); save the file as UTF-8`);
  }
  const name = basename(file, extname(file));
  try {
    return parseKeywordList(text, name);
  } catch (error) {
    throw new KeywordFileError(file, (error as Error).message, { cause: error });
  }
}

function countLines(bytes: Uint8Array, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 well-formedness. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

/**
 * Reads the list and allow files and builds a matcher. Rejects with {@link KeywordFileError}
 * naming the file (and the line for encoding and directive problems) when a file is missing,
 * unreadable, not UTF-8 or malformed.
 */
export async function loadKeywordFiles(options: KeywordFilesOptions): Promise<KeywordMatcher> {
  if (!Array.isArray(options.listFiles) || options.listFiles.length === 0) {
    throw new TypeError("listFiles must name at least one keyword list file");
  }
  const lists: KeywordList[] = await Promise.all(
    options.listFiles.map(async (file): Promise<KeywordList> => {
      const list = await readList(file);
      const folds = options.folds?.[file];
      if (folds === undefined) return list;
      const { folds: _own, ...rest } = list;
      return folds.length === 0 ? rest : { ...rest, folds: [...folds] };
    }),
  );
  const allowLists = await Promise.all((options.allowFiles ?? []).map(readList));
  await loadReadingsFor(lists);
  return createKeywordMatcher({
    lists,
    allowLists,
    ...(options.match === undefined ? {} : { match: options.match }),
    ...(options.separators === undefined ? {} : { separators: options.separators }),
  });
}

export interface WatchKeywordFilesOptions extends KeywordFilesOptions {
  /** The engine whose matcher is replaced after each successful reload. */
  engine: KeywordEngine;
  /** Called after a new matcher was swapped in. */
  onReload?: (matcher: KeywordMatcher) => void;
  /** Called when a reload failed (the previous matcher keeps serving) or a watcher failed. */
  onError?: (error: Error) => void;
  /** Watch the files' directories for changes. Default `true`; with `false` only `reload()` reloads. */
  watch?: boolean;
  /** Quiet time after the last change before reloading, in ms. Default 150. */
  debounceMs?: number;
}

export interface KeywordWatchHandle {
  /**
   * Reloads all files now (e.g. on SIGHUP). Resolves to `true` when a new matcher was swapped in,
   * `false` when loading failed (reported through `onError`; the previous matcher keeps serving).
   */
  reload(): Promise<boolean>;
  /** Stops watching. Pending reloads are cancelled. */
  close(): void;
}

/**
 * Watches the keyword files and hot-reloads the engine's matcher. The parent directories are
 * watched (editors and config managers replace files by rename); after a quiet period, the files'
 * identity (inode, size, mtime) is compared and, if anything changed, the matcher is rebuilt fully
 * and only then swapped in. A failed load leaves the old matcher serving and calls `onError`.
 * Reloads never overlap: a change during a reload triggers one more reload afterwards.
 */
export function watchKeywordFiles(options: WatchKeywordFilesOptions): KeywordWatchHandle {
  const { engine, onReload, onError } = options;
  const debounceMs = options.debounceMs ?? 150;
  const files = [...options.listFiles, ...(options.allowFiles ?? [])].map((f) => resolve(f));
  const report = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    if (onError) onError(e);
  };

  let closed = false;
  let running: Promise<boolean> | undefined;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastSignature: string | undefined;

  const signature = async (): Promise<string> => {
    const parts = await Promise.all(
      files.map(async (f) => {
        try {
          const s = await stat(f);
          return `${s.ino}:${s.size}:${s.mtimeMs}:${s.isFile() ? "f" : "x"}`;
        } catch (error) {
          return `error:${(error as NodeJS.ErrnoException).code ?? "?"}`;
        }
      }),
    );
    return parts.join("|");
  };

  const loadAndSwap = async (): Promise<boolean> => {
    const before = await signature();
    try {
      const matcher = await loadKeywordFiles(options);
      if (closed) return false;
      engine.swap(matcher);
      lastSignature = before;
      if (onReload) onReload(matcher);
      return true;
    } catch (error) {
      lastSignature = before;
      report(error);
      return false;
    }
  };

  const reload = (): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let result = await loadAndSwap();
      while (again && !closed) {
        again = false;
        result = await loadAndSwap();
      }
      running = undefined;
      return result;
    })();
    return running;
  };

  const onChange = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      timer = undefined;
      if (closed) return;
      if ((await signature()) === lastSignature) return;
      await reload();
    }, debounceMs);
  };

  const watchers: FSWatcher[] = [];
  if (options.watch ?? true) {
    void signature().then((s) => {
      lastSignature ??= s;
    });
    for (const dir of new Set(files.map((f) => dirname(f)))) {
      try {
        const watcher = watch(dir, { persistent: false }, onChange);
        watcher.on("error", (error) => report(new KeywordFileError(dir, `watching stopped: ${error.message}`)));
        watchers.push(watcher);
      } catch (error) {
        report(new KeywordFileError(dir, `cannot watch directory: ${(error as Error).message}`, { cause: error }));
      }
    }
  }

  return {
    reload,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
