export * from "./engine.ts";
export { type MaskSpan, maskSpans, mergeSpans } from "./mask.ts";
export * from "./policy.ts";
