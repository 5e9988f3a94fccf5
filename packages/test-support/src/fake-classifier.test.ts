import { afterEach, describe, expect, it } from "vitest";
import { type FakeClassifier, fakeTokenCount, startFakeClassifier } from "./fake-classifier.ts";

let fake: FakeClassifier | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const post = (url: string, body: unknown, key?: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

describe("startFakeClassifier", () => {
  it("speaks TEI's /predict: single, pair and batch inputs, every label sorted by score", async () => {
    fake = await startFakeClassifier();
    const single = await post(`${fake.url}/predict`, { inputs: "please INJECT" });
    expect(await single.json()).toEqual([
      { score: 0.97, label: "INJECTION" },
      { score: expect.closeTo(0.03), label: "SAFE" },
    ]);
    const batch = await post(`${fake.url}/predict`, { inputs: [["hello"], ["a", "BORDERLINE"]] });
    const body = (await batch.json()) as Array<Array<{ label: string; score: number }>>;
    expect(body.map((predictions) => predictions[0]!.label)).toEqual(["SAFE", "INJECTION"]);
    expect(fake.calls.map((call) => call.texts)).toEqual([["please INJECT"], ["hello", "a BORDERLINE"]]);
  });

  it("refuses what TEI refuses, in TEI's error shape", async () => {
    fake = await startFakeClassifier({ maxBatch: 2, maxTokens: 8 });
    const long = await post(`${fake.url}/predict`, { inputs: [["one two three four five six seven eight"]] });
    expect(long.status).toBe(413);
    expect(await long.json()).toMatchObject({ error_type: "validation" });
    expect(
      (await post(`${fake.url}/predict`, { inputs: [["one two three four five six seven eight"]], truncate: true }))
        .status,
    ).toBe(200);
    expect((await post(`${fake.url}/predict`, { inputs: [["a"], ["b"], ["c"]] })).status).toBe(413);
    expect((await post(`${fake.url}/predict`, { inputs: [] })).status).toBe(400);
    expect((await post(`${fake.url}/predict`, { inputs: ["a", "b", "c"] })).status).toBe(422);
    expect(fakeTokenCount("one two 三四")).toBe(6);
  });

  it("speaks vLLM's /classify, checking the model and the key", async () => {
    fake = await startFakeClassifier({
      labels: ["LABEL_0", "LABEL_1"],
      model: "meta-llama/Llama-Prompt-Guard-2-86M",
      apiKey: "k-12345",
    });
    expect(
      (await post(`${fake.url}/classify`, { model: "meta-llama/Llama-Prompt-Guard-2-86M", input: ["x"] })).status,
    ).toBe(401);
    const ok = await post(
      `${fake.url}/v1/classify`,
      { model: "meta-llama/Llama-Prompt-Guard-2-86M", input: ["hi", "INJECT"] },
      "k-12345",
    );
    const body = (await ok.json()) as {
      object: string;
      data: Array<{ index: number; label: string; probs: number[]; num_classes: number }>;
    };
    expect(body.object).toBe("list");
    expect(body.data.map((d) => [d.index, d.label, d.num_classes])).toEqual([
      [0, "LABEL_0", 2],
      [1, "LABEL_1", 2],
    ]);
    const wrong = await post(`${fake.url}/classify`, { model: "other", input: "x" }, "k-12345");
    expect(wrong.status).toBe(404);
    expect(await wrong.json()).toMatchObject({ object: "error", code: 404 });
  });

  it("answers scripted failures", async () => {
    fake = await startFakeClassifier();
    fake.script([{ type: "error", status: 503 }]);
    expect((await post(`${fake.url}/predict`, { inputs: "x" })).status).toBe(503);
    expect((await post(`${fake.url}/predict`, { inputs: "x" })).status).toBe(200);
  });
});
