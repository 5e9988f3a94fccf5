import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../env.ts";
import { PER_APP_FILE_MAX_BYTES } from "../per-app.ts";

/** A file could not be read as text; the message names the file (and the line of bad UTF-8). */
export class TextFileError extends Error {
  override readonly name = "TextFileError";
  constructor(
    readonly file: string,
    /** What went wrong, without the file name: `does not exist`, `line 3: not valid UTF-8 (…)`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

/**
 * Reads a UTF-8 text file of at most `maxBytes` (no limit by default). Rejects with a
 * {@link TextFileError} that says why in words: missing, a directory, not readable, too large, or
 * the line and byte offset of the first invalid UTF-8.
 */
export async function readTextFile(file: string, maxBytes = Number.POSITIVE_INFINITY): Promise<string> {
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
    throw new TextFileError(file, reason, { cause: error });
  }
  if (bytes.length > maxBytes) throw new TextFileError(file, `is larger than ${maxBytes} bytes`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new TextFileError(
      file,
      `line ${countLines(bytes, at)}: not valid UTF-8 (byte offset ${at}); save the file as UTF-8`,
    );
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
 * Reads a per-app settings file (a policy file, the weather app's settings) as UTF-8 text of at most
 * {@link PER_APP_FILE_MAX_BYTES}. Throws a `ConfigError` naming `variable` and the file when it cannot.
 */
export async function readSettingsFile(file: string, variable: string): Promise<string> {
  try {
    return await readTextFile(file, PER_APP_FILE_MAX_BYTES);
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read ${(error as Error).message}`]);
  }
}

export interface WatchFilesOptions {
  /** The files whose changes trigger `load`. */
  files: readonly string[];
  /**
   * Builds and puts in place whatever the files configure; resolves `true` when it did, `false`
   * (or throws, reported through `onError`) when it did not and the previous state keeps serving.
   */
  load: () => Promise<boolean>;
  /** Told when a load threw or a directory cannot be watched. */
  onError: (error: Error) => void;
  /** Watch the files' directories. Default `true`; with `false` only `reload()` reloads. */
  watch?: boolean;
  /** Quiet time after the last change before reloading, in ms. Default 150. */
  debounceMs?: number;
  /** Also reload on SIGHUP, calling this first (to log it). */
  onHangup?: () => void;
}

export interface FileWatch {
  /** Loads now (e.g. on SIGHUP); resolves to what `load` resolved, `false` when it threw. */
  reload(): Promise<boolean>;
  /** Stops watching; a pending reload is cancelled. */
  close(): void;
}

/**
 * Watches files and calls `load` when they change. The parent directories are watched (editors
 * and config managers replace files by rename); after a quiet period the files' identity (inode,
 * size, mtime) is compared and only a real change loads. Loads never overlap: a change during a
 * load triggers one more load afterwards.
 */
export function watchFiles(options: WatchFilesOptions): FileWatch {
  const debounceMs = options.debounceMs ?? 150;
  const files = options.files.map((file) => resolve(file));
  const report = (error: unknown) => options.onError(error instanceof Error ? error : new Error(String(error)));

  let closed = false;
  let running: Promise<boolean> | undefined;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastSignature: string | undefined;

  const signature = async (): Promise<string> => {
    const parts = await Promise.all(
      files.map(async (file) => {
        try {
          const s = await stat(file);
          return `${s.ino}:${s.size}:${s.mtimeMs}:${s.isFile() ? "f" : "x"}`;
        } catch (error) {
          return `error:${(error as NodeJS.ErrnoException).code ?? "?"}`;
        }
      }),
    );
    return parts.join("|");
  };

  const loadOnce = async (): Promise<boolean> => {
    lastSignature = await signature();
    try {
      return await options.load();
    } catch (error) {
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
      let result = await loadOnce();
      while (again && !closed) {
        again = false;
        result = await loadOnce();
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
      if (closed || (await signature()) === lastSignature) return;
      await reload();
    }, debounceMs);
  };

  const watchers: FSWatcher[] = [];
  if (options.watch ?? true) {
    void signature().then((s) => {
      lastSignature ??= s;
    });
    for (const dir of new Set(files.map((file) => dirname(file)))) {
      try {
        const watcher = watch(dir, { persistent: false }, onChange);
        watcher.on("error", (error) => report(new Error(`watching ${dir} stopped: ${error.message}`)));
        watchers.push(watcher);
      } catch (error) {
        report(new Error(`cannot watch ${dir}: ${(error as Error).message}`, { cause: error }));
      }
    }
  }

  const onHangup = options.onHangup;
  const hangup = () => {
    onHangup?.();
    void reload();
  };
  if (onHangup) process.on("SIGHUP", hangup);

  return {
    reload,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      if (onHangup) process.off("SIGHUP", hangup);
    },
  };
}
