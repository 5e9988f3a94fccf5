#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, resolved from this package rather than from the caller's
// directory, so `node <repo>/packages/eval/bin/dify-ext-eval.js` works from anywhere.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
