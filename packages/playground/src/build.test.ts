import { describe, expect, it } from "vitest";
import { buildPlaygroundPage } from "./build.ts";
import { PLAYGROUND_PATHS } from "./paths.ts";

const SCRIPT_PATH = PLAYGROUND_PATHS.script;
const STYLE_PATH = PLAYGROUND_PATHS.style;

describe("buildPlaygroundPage", () => {
  it("bundles the client into one script and keeps the page free of inline code and other origins", async () => {
    const page = await buildPlaygroundPage();
    // One script and one style sheet, from the service itself; nothing inline, nothing remote.
    expect(page.html.match(/<script\b[^>]*>/g)).toEqual([`<script defer src="${SCRIPT_PATH}">`]);
    expect(page.html.match(/<link\b[^>]*>/g)).toEqual([`<link rel="stylesheet" href="${STYLE_PATH}">`]);
    expect(page.html).not.toMatch(/\son[a-z]+=|<style|style=|https?:\/\/|javascript:/i);
    expect(`${page.script}${page.style}`).not.toMatch(/https?:\/\/|@import|@font-face|url\(/);
    // The script is plain browser JavaScript: no imports left, no eval, and it calls the endpoint.
    expect(page.script).not.toMatch(/\bimport\b|\brequire\(|\beval\(|new Function/);
    expect(page.script).toContain("/api/playground/explain");
    expect(page.script).toContain("sessionStorage");
    expect(page.script).not.toContain("localStorage");
    expect(() => new Function(page.script)).not.toThrow();
  });
});
