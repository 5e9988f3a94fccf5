#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, resolved from this package rather than from the caller's
// directory, so `node <repo>/packages/check/bin/dify-ext-check.js` works from anywhere.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
