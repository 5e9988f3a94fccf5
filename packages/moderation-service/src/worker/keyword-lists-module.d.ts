/**
 * The keyword lists a Worker bundles at build time: `dify-ext-worker-lists` writes them to
 * `.worker/keyword-lists.js`, and each app's wrangler.jsonc aliases this specifier to that file.
 * (This package's tsconfig sets `skipLibCheck: false`, so a broken import here fails `tsc`.)
 */
declare module "dify-ext:keyword-lists" {
  const lists: import("./index.ts").BundledKeywordLists;
  export default lists;
}
