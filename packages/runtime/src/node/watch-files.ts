import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../env.ts";
import { PER_APP_FILE_MAX_BYTES } from "../per-app.ts";

/**
 * Reads a per-app settings file (a policy file, the weather app's settings) as UTF-8 text of at most
 * {@link PER_APP_FILE_MAX_BYTES}. Throws a `ConfigError` naming `variable` and the file when it cannot.
 */
export async function readSettingsFile(file: string, variable: string): Promise<string> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > PER_APP_FILE_MAX_BYTES) throw new Error(`larger than ${PER_APP_FILE_MAX_BYTES} bytes`);
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([`${variable}: cannot read ${file}: ${reason}`]);
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
