/**
 * The playground page (`GET /playground`): its HTML and style sheet, and the report the explain
 * endpoint answers. The bundler lives in `@dify-ext/playground/build` (it loads esbuild).
 */
export { PLAYGROUND_CSS, PLAYGROUND_HTML, SCRIPT_PATH, STYLE_PATH } from "./page.ts";
export type * from "./report.ts";
export { type Segment, segmentsOf } from "./client/segments.ts";
