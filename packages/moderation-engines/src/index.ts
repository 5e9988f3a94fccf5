export * from "./engine.ts";
export { maskSpans, mergeSpans } from "./mask.ts";
export * from "./policy.ts";
