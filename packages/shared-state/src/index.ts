export * from "./shared-state.ts";
export * from "./url.ts";
