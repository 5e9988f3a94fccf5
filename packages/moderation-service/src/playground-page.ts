import type { PlaygroundPage } from "@dify-ext/receive";

/**
 * The playground page, bundled by esbuild from `@dify-ext/playground` (loaded only when the
 * playground is on, so a service without it never loads esbuild).
 */
export async function buildPlaygroundPage(): Promise<PlaygroundPage> {
  const { buildPlaygroundPage: build } = await import("@dify-ext/playground/build");
  return build();
}
