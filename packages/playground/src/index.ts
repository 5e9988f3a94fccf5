/**
 * The playground page (`GET /playground`): its HTML and style sheet, and the report the explain
 * endpoint answers. The bundler lives in `@dify-ext/playground/build` (it loads esbuild).
 */
export { PLAYGROUND_CSS, PLAYGROUND_HTML } from "./page.ts";
export { PAGE_SECURITY_HEADERS, PLAYGROUND_PATHS } from "./paths.ts";
export type * from "./report.ts";
export { type Segment, segmentsOf } from "./client/segments.ts";
