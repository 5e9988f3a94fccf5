/**
 * The calls `dify-ext check` sends, shaped like Dify's real ones. Texts are plain English with the
 * profanity that real users type, so a moderation service has something to flag.
 */

/** A file variable as Dify puts it in `inputs` (a serialised `File`). */
export const SAMPLE_FILE = {
  dify_model_identity: "__dify__file__",
  id: null,
  tenant_id: "6c0d4a4e-3d1a-4f0e-9a51-0c2b1f6f4a10",
  type: "document",
  transfer_method: "remote_url",
  remote_url: "https://example.com/files/quarterly-report.pdf",
  related_id: null,
  filename: "quarterly-report.pdf",
  extension: ".pdf",
  mime_type: "application/pdf",
  size: 482133,
};

export const INPUT_SAMPLES = [
  {
    name: "clean text",
    inputs: { topic: "gardening" },
    query: "How do I grow tomatoes on a balcony?",
  },
  {
    name: "profanity",
    inputs: { name: "Sam" },
    query: "You are a fucking idiot and this answer is bullshit.",
  },
  {
    name: "non-text inputs",
    inputs: {
      note: "what the fuck is this",
      count: 3,
      price: 9.99,
      subscribed: true,
      tags: ["shit", "garden", 7],
      attachment: SAMPLE_FILE,
    },
    query: "Summarise the attachment, damn it.",
  },
] as const satisfies readonly { name: string; inputs: Record<string, unknown>; query: string }[];

export const OUTPUT_SAMPLES = [
  { name: "clean text", text: "Tomatoes need six to eight hours of sun a day and a deep pot." },
  { name: "profanity", text: "Honestly, that plan is shit and you fucking know it." },
] as const;

/** Dify's output buffer: a call once at least this many new characters arrived (`MODERATION_BUFFER_SIZE`). */
export const STREAM_STEP = 300;

/** A long answer, clean for its first 900 characters, with one profane sentence after that. */
export const STREAMED_ANSWER = [
  "Growing tomatoes on a balcony works well if you give them sun, water and support. ".repeat(6),
  "Choose a pot of at least twenty litres, fill it with a good potting mix, and add a stake or a cage early. ".repeat(
    4,
  ),
  "If the leaves curl, this shit usually means the plant is thirsty or too hot in the afternoon. ",
  "Water deeply in the morning, feed every two weeks once the first flowers open, and pinch out side shoots. ".repeat(
    4,
  ),
].join("");

/**
 * The calls Dify makes while an answer streams: the whole answer so far each time at least
 * `STREAM_STEP` new characters have arrived, then the complete answer.
 */
export function streamedPrefixes(answer: string, step = STREAM_STEP): string[] {
  const calls: string[] = [];
  for (let length = step; length < answer.length; length += step) calls.push(answer.slice(0, length));
  calls.push(answer);
  return calls;
}
