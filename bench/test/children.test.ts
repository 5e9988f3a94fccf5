import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { killChildren, track } from "../src/children.ts";

const idle = () => spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });

describe("the harness's child processes", () => {
  it("are killed by killChildren, and so is any started after it", async () => {
    const running = [track(idle()), track(idle())];
    const done = running.map((child) => once(child, "exit"));
    expect(killChildren()).toBe(2);
    for (const [code, signal] of await Promise.all(done)) expect([code, signal]).toEqual([null, "SIGKILL"]);

    const late = track(idle());
    const [code, signal] = await once(late, "exit");
    expect([code, signal]).toEqual([null, "SIGKILL"]);
  });
});
