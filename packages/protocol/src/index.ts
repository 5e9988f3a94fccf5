export * from "./requests.ts";
export * from "./replies.ts";
export { difyReplyProblems } from "./dify-rules.ts";
export * from "./explain.ts";
