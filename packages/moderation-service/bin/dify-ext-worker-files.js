#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, resolved from this package rather than from the caller's
// directory.
import { register } from "tsx/esm/api";

register();
await import("../src/worker-files.ts");
