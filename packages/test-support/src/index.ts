export * from "./app-process.ts";
export * from "./fake-open-meteo.ts";
export * from "./fake-openai.ts";
export * from "./fuzz.ts";
export { mulberry32 } from "./random.ts";
export * from "./logger.ts";
export * from "./fake-guard.ts";
