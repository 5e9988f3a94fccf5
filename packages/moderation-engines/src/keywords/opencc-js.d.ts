/**
 * Types for the `opencc-js` character tables imported by `chinese-fold.ts`. The package's `./*`
 * export has no types; each table module's default export is OpenCC's dictionary string
 * (`"from to|from to|…"`).
 */
declare module "opencc-js/dict/*" {
  const dict: string;
  export default dict;
}
