/** mulberry32: a small seeded PRNG, so generated data (and any failure on it) reproduces. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates `count` distinct keyword terms from a seed: 70% random Latin words of 4–10 letters, 30%
 * random Han strings of 2–4 characters (the matcher's scale tests and the benchmarks' lists).
 */
export function generateTerms(count: number, seed = 1): string[] {
  const rand = mulberry32(seed);
  const out = new Set<string>();
  while (out.size < count) {
    if (rand() < 0.7) {
      const len = 4 + Math.floor(rand() * 7);
      let w = "";
      for (let i = 0; i < len; i++) w += String.fromCharCode(0x61 + Math.floor(rand() * 26));
      out.add(w);
    } else {
      const len = 2 + Math.floor(rand() * 3);
      let w = "";
      for (let i = 0; i < len; i++) w += String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
      out.add(w);
    }
  }
  return [...out];
}
