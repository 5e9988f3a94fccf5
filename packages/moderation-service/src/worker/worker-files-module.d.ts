/**
 * The files a Worker bundles at build time: `dify-ext-worker-files` writes them to
 * `.worker/files.js`, and each app's wrangler.jsonc aliases this specifier to that file.
 * (This package's tsconfig sets `skipLibCheck: false`, so a broken import here fails `tsc`.)
 */
declare module "dify-ext:worker-files" {
  const bundle: import("./index.ts").WorkerBundle;
  export default bundle;
}
