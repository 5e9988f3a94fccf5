/**
 * A compact Aho-Corasick automaton over UTF-16 code units, stored in typed arrays.
 *
 * Layout: a double-array trie over a dense alphabet (code units remapped by frequency): the child
 * of state `s` on code `c` is `t = base[s] + c` when `check[t] === s`, so every transition costs
 * one lookup whatever the fan-out. State 0 is the root. `fail` holds failure links and `dict`
 * output links (the nearest proper suffix state that ends a pattern), so reporting walks only
 * states that produce output. Search cost is linear in the text length plus
 * the number of matches, whatever the number of patterns.
 */
export class Automaton {
  /** Number of trie nodes, root included. */
  readonly nodeCount: number;
  /** Number of distinct patterns. */
  readonly patternCount: number;
  /** Number of distinct code units in the patterns: their dense codes are 1 to this. */
  readonly alphabetSize: number;
  private readonly alphabet: Int32Array;
  private readonly base: Int32Array;
  private readonly check: Int32Array;
  private readonly fail: Int32Array;
  private readonly dict: Int32Array;
  /** Pattern id + 1 ending at each node, 0 for none. */
  private readonly nodePattern: Int32Array;

  /**
   * Builds the automaton. `patterns` must be non-empty strings; duplicates are allowed and share an
   * id. Returns, through `patternIds`, the id of each input pattern (index into a deduplicated set).
   */
  constructor(patterns: readonly string[], patternIds: Int32Array) {
    const order = Array.from(patterns.keys());
    order.sort((a, b) => {
      const pa = patterns[a]!;
      const pb = patterns[b]!;
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });

    let capacity = 1024;
    let parent = new Int32Array(capacity);
    let unit = new Uint16Array(capacity);
    let nodePattern = new Int32Array(capacity);
    let nodes = 1;
    let path = new Int32Array(64);
    let previous = "";
    let distinct = 0;

    // Sorted insertion: a new pattern shares its longest common prefix with the previous one, so
    // the trie grows by appending nodes, and each node's children are created in code-unit order.
    for (const index of order) {
      const pattern = patterns[index]!;
      if (pattern.length === 0) throw new RangeError("empty pattern");
      if (pattern === previous) {
        patternIds[index] = distinct - 1;
        continue;
      }
      let lcp = 0;
      const max = Math.min(pattern.length, previous.length);
      while (lcp < max && pattern.charCodeAt(lcp) === previous.charCodeAt(lcp)) lcp++;
      if (pattern.length + 1 > path.length) {
        const grown = new Int32Array(Math.max(path.length * 2, pattern.length + 1));
        grown.set(path);
        path = grown;
      }
      let node = path[lcp]!;
      for (let d = lcp; d < pattern.length; d++) {
        if (nodes === capacity) {
          capacity *= 2;
          parent = grow32(parent, capacity);
          unit = grow16(unit, capacity);
          nodePattern = grow32(nodePattern, capacity);
        }
        parent[nodes] = node;
        unit[nodes] = pattern.charCodeAt(d);
        node = nodes++;
        path[d + 1] = node;
      }
      nodePattern[node] = distinct + 1;
      patternIds[index] = distinct;
      distinct++;
      previous = pattern;
    }

    // Edges in CSR form. Children were created in increasing unit order per parent, so filling in
    // node order keeps each slice sorted.
    const edgeStart = new Int32Array(nodes + 1);
    for (let v = 1; v < nodes; v++) edgeStart[parent[v]! + 1]!++;
    for (let v = 0; v < nodes; v++) edgeStart[v + 1]! += edgeStart[v]!;
    const fill = edgeStart.slice(0, nodes);
    const edgeTarget = new Int32Array(Math.max(0, nodes - 1));
    for (let v = 1; v < nodes; v++) edgeTarget[fill[parent[v]!]!++] = v;

    // Dense alphabet: code units ordered by frequency in the trie, so frequent units get small
    // codes and the double array stays compact. Code 0 means "in no pattern".
    const frequency = new Int32Array(0x10000);
    for (let v = 1; v < nodes; v++) frequency[unit[v]!]!++;
    const present: number[] = [];
    for (let c = 0; c < 0x10000; c++) if (frequency[c]! > 0) present.push(c);
    present.sort((a, b) => frequency[b]! - frequency[a]! || a - b);
    const alphabet = new Int32Array(0x10000);
    for (let k = 0; k < present.length; k++) alphabet[present[k]!] = k + 1;
    const alphabetSize = present.length;

    const da = new DoubleArrayBuilder(nodes + alphabetSize + 16);
    const daOf = new Int32Array(nodes);
    const bfs = new Int32Array(nodes);
    let head = 0;
    let tail = 1;
    const codes: number[] = [];
    const kids: number[] = [];
    while (head < tail) {
      const u = bfs[head++]!;
      const first = edgeStart[u]!;
      const last = edgeStart[u + 1]!;
      if (first === last) continue;
      codes.length = 0;
      kids.length = 0;
      for (let e = first; e < last; e++) {
        const v = edgeTarget[e]!;
        kids.push(v);
        bfs[tail++] = v;
      }
      // Codes follow frequency, not code-unit order: sort the children by code for placement.
      if (kids.length > 1) kids.sort((a, b) => alphabet[unit[a]!]! - alphabet[unit[b]!]!);
      for (const v of kids) codes.push(alphabet[unit[v]!]!);
      const targets = da.place(daOf[u]!, codes);
      for (let k = 0; k < kids.length; k++) daOf[kids[k]!] = targets[k]!;
    }
    const size = da.finish(alphabetSize);
    const base = da.base;
    const check = da.check;

    const daPattern = new Int32Array(size);
    for (let v = 0; v < nodes; v++) daPattern[daOf[v]!] = nodePattern[v]!;

    // Failure and output links, breadth first (same order as placement).
    const fail = new Int32Array(size);
    const dict = new Int32Array(size);
    for (let q = 1; q < nodes; q++) {
      const v = bfs[q]!;
      const dv = daOf[v]!;
      const du = daOf[parent[v]!]!;
      if (du === 0) continue;
      const target = transition(base, check, fail, fail[du]!, alphabet[unit[v]!]!);
      fail[dv] = target;
      dict[dv] = daPattern[target]! !== 0 ? target : dict[target]!;
    }

    this.nodeCount = nodes;
    this.patternCount = distinct;
    this.alphabetSize = alphabetSize;
    this.alphabet = alphabet;
    this.base = base;
    this.check = check;
    this.fail = fail;
    this.dict = dict;
    this.nodePattern = daPattern;
  }

  /**
   * Scans `units[0..length)` and calls `onMatch(patternId, end)` for every occurrence of every
   * pattern (overlaps included), `end` being the exclusive end offset. Calls come in end order;
   * for one end, longer patterns first.
   */
  scan(units: Uint16Array, length: number, onMatch: (patternId: number, end: number) => void): void {
    const alphabet = this.alphabet;
    const base = this.base;
    const check = this.check;
    const fail = this.fail;
    const dict = this.dict;
    const nodePattern = this.nodePattern;
    let s = 0;
    for (let i = 0; i < length; i++) {
      const c = alphabet[units[i]!]!;
      if (c === 0) {
        s = 0;
        continue;
      }
      s = transition(base, check, fail, s, c);
      if (s === 0) continue;
      let o = nodePattern[s]! !== 0 ? s : dict[s]!;
      while (o !== 0) {
        onMatch(nodePattern[o]! - 1, i + 1);
        o = dict[o]!;
      }
    }
  }

  /**
   * The trie child of `state` on code unit `unit` (no failure links: the state of the patterns
   * that continue with `unit`), or -1 when no pattern does. The root is state 0. For walks that
   * follow several paths at once (the `pinyin` and `homophones` folds), which `scan` cannot.
   */
  next(state: number, unit: number): number {
    const c = this.alphabet[unit]!;
    if (c === 0) return -1;
    const t = this.base[state]! + c;
    return this.check[t] === state ? t : -1;
  }

  /** The id of the pattern that ends at `state`, or -1. */
  patternAt(state: number): number {
    return this.nodePattern[state]! - 1;
  }

  /**
   * The arrays behind {@link next} and {@link patternAt}, for hot loops that inline them: the child
   * of `s` on `unit` is `t = base[s] + alphabet[unit]` when `alphabet[unit] !== 0 && check[t] === s`;
   * `nodePattern[t] - 1` is the pattern ending at `t`; `fail[t]` is the state of the longest proper
   * suffix of `t`'s path that is a path of the trie, `dict[t]` the nearest such suffix state that ends
   * a pattern (0 for none). Read-only.
   */
  trie(): {
    alphabet: Int32Array;
    base: Int32Array;
    check: Int32Array;
    nodePattern: Int32Array;
    fail: Int32Array;
    dict: Int32Array;
  } {
    return {
      alphabet: this.alphabet,
      base: this.base,
      check: this.check,
      nodePattern: this.nodePattern,
      fail: this.fail,
      dict: this.dict,
    };
  }

  /** Approximate bytes held by the automaton's arrays. */
  get byteSize(): number {
    return (
      this.alphabet.byteLength +
      this.base.byteLength +
      this.check.byteLength +
      this.fail.byteLength +
      this.dict.byteLength +
      this.nodePattern.byteLength
    );
  }
}

/**
 * An {@link Automaton}'s states laid out for scanning a large share of the text: four numbers per
 * state side by side (`base`, `check` and the failure link, as offsets into this array, and a bit
 * set of the codes the state has children on), so that a step reads one or two places of memory
 * where the separate arrays take four or five; most steps of a scan that mostly fails (a large
 * automaton over prose) miss the processor's caches, and that is what this saves. Outputs are
 * marked by the low bit of the failure link and read from the automaton's own arrays.
 * Costs 16 bytes per state beside the automaton.
 */
export class PackedAutomaton {
  private readonly states: Int32Array;
  private readonly alphabet: Int32Array;
  private readonly nodePattern: Int32Array;
  private readonly dict: Int32Array;

  constructor(automaton: Automaton) {
    const { alphabet, nodePattern, dict } = automaton.trie();
    this.states = packStates(automaton, (t) => nodePattern[t] !== 0 || dict[t] !== 0);
    this.alphabet = alphabet;
    this.nodePattern = nodePattern;
    this.dict = dict;
  }

  /**
   * {@link Automaton.scan} of `units[0..length)` with one `pad` code unit before and after it, as if
   * the text were `pad + text + pad`: a pattern that starts or ends with `pad` then matches only
   * where the text has `pad` there, or at its start or end. `end` is still an offset into `units`:
   * a match that takes in the pad after the text ends at `length + 1`; none ends in the pad before.
   */
  scanPadded(units: Uint16Array, length: number, pad: number, onMatch: (patternId: number, end: number) => void): void {
    const states = this.states;
    const alphabet = this.alphabet;
    const nodePattern = this.nodePattern;
    const dict = this.dict;
    const padCode = alphabet[pad]!;
    let q = padCode === 0 ? 0 : step(states, 0, padCode);
    for (let i = 0; i <= length; i++) {
      const c = i < length ? alphabet[units[i]!]! : padCode;
      if (c === 0) {
        q = 0;
        continue;
      }
      q = step(states, q, c);
      if (q === 0 || (states[q + 2]! & 1) === 0) continue;
      const s = q >> 2;
      let o = nodePattern[s]! !== 0 ? s : dict[s]!;
      while (o !== 0) {
        onMatch(nodePattern[o]! - 1, i + 1);
        o = dict[o]!;
      }
    }
  }

  /** Bytes of the packed states (the automaton's own arrays are counted by it). */
  get byteSize(): number {
    return this.states.byteLength;
  }
}

/**
 * The automaton's states four numbers each, side by side, as {@link PackedAutomaton} and the sound
 * folds' walk read them: at `4t` the base and at `4t + 1` the parent (`check`), both times four
 * (offsets into this array, -1 for a free slot); at `4t + 2` the failure link times four, plus 1
 * where `marked(t)` (the walk's own "look at the outputs here"); at `4t + 3` a bit set with bit
 * (c & 31) set for each code c the state has a child on.
 */
export function packStates(automaton: Automaton, marked: (state: number) => boolean): Int32Array {
  const { base, check, fail } = automaton.trie();
  const states = new Int32Array(check.length * 4);
  for (let t = 0; t < check.length; t++) {
    states[4 * t] = 4 * base[t]!;
    states[4 * t + 1] = check[t]! < 0 ? -1 : 4 * check[t]!;
    states[4 * t + 2] = 4 * fail[t]!;
    if (t === 0 || check[t]! < 0) continue;
    if (marked(t)) states[4 * t + 2]! |= 1;
    states[4 * check[t]! + 3]! |= 1 << ((t - base[check[t]!]!) & 31);
  }
  return states;
}

/** {@link transition} over packed states: `q` and the result are offsets (4 × state). */
function step(states: Int32Array, q: number, c: number): number {
  const bit = 1 << (c & 31);
  for (let f = q; ; f = states[f + 2]! & ~3) {
    if ((states[f + 3]! & bit) !== 0) {
      const t = states[f]! + 4 * c;
      if (states[t + 1] === f) return t;
    }
    if (f === 0) return 0;
  }
}

/**
 * The Aho-Corasick step: from state `s` on dense code `c`, the child on `c` of `s` or of the
 * nearest state on its failure chain that has one; the root when none has.
 */
function transition(base: Int32Array, check: Int32Array, fail: Int32Array, s: number, c: number): number {
  for (let f = s; ; f = fail[f]!) {
    const t = base[f]! + c;
    if (check[t] === f) return t;
    if (f === 0) return 0;
  }
}

/** Places trie nodes into base/check arrays, tracking free slots in a doubly linked list. */
class DoubleArrayBuilder {
  base: Int32Array;
  check: Int32Array;
  private next: Int32Array;
  private prev: Int32Array;
  /** 1 while a free slot is still in the candidate list; 0 once used or given up on. */
  private listed: Uint8Array;
  /** How often a free slot was tried as a first-child position without success. */
  private failures: Uint8Array;
  private freeHead = -1;
  private freeTail = -1;
  private size = 0;
  private highest = 0;
  private maxBase = 0;

  constructor(initial: number) {
    this.base = new Int32Array(0);
    this.check = new Int32Array(0);
    this.next = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.listed = new Uint8Array(0);
    this.failures = new Uint8Array(0);
    this.grow(Math.max(initial, 2));
    this.unlink(0);
    this.check[0] = -2;
  }

  private grow(size: number): void {
    const old = this.size;
    if (size <= old) return;
    this.base = grow32(this.base, size);
    const check = new Int32Array(size).fill(-1);
    check.set(this.check);
    this.check = check;
    this.next = grow32(this.next, size);
    this.prev = grow32(this.prev, size);
    const listed = new Uint8Array(size);
    listed.set(this.listed);
    listed.fill(1, old);
    this.listed = listed;
    const failures = new Uint8Array(size);
    failures.set(this.failures);
    this.failures = failures;
    for (let i = old; i < size; i++) {
      this.prev[i] = this.freeTail;
      this.next[i] = -1;
      if (this.freeTail === -1) this.freeHead = i;
      else this.next[this.freeTail] = i;
      this.freeTail = i;
    }
    this.size = size;
  }

  private unlink(i: number): void {
    if (this.listed[i] === 0) return;
    this.listed[i] = 0;
    const p = this.prev[i]!;
    const n = this.next[i]!;
    if (p === -1) this.freeHead = n;
    else this.next[p] = n;
    if (n === -1) this.freeTail = p;
    else this.prev[n] = p;
  }

  /** Gives state `state` children on `codes` (ascending); returns the child states. */
  place(state: number, codes: readonly number[]): number[] {
    const c0 = codes[0]!;
    let b = -1;
    let tries = 0;
    // First fit among free slots; after a bounded number of tries, append past the used region.
    // A slot that keeps failing sits in a dense region: drop it from the candidates (it stays free
    // and usable for non-first children), so later searches start further right.
    for (let p = this.freeHead; p !== -1 && tries < 256; ) {
      const following = this.next[p]!;
      if (p < c0) {
        p = following;
        continue;
      }
      tries++;
      const candidate = p - c0;
      let fits = true;
      for (let k = 1; k < codes.length; k++) {
        const t = candidate + codes[k]!;
        if (t < this.size && this.check[t] !== -1) {
          fits = false;
          break;
        }
      }
      if (fits) {
        b = candidate;
        break;
      }
      if (++this.failures[p]! >= 16) this.unlink(p);
      p = following;
    }
    if (b === -1) b = Math.max(this.highest + 1 - c0, 0);
    const needed = b + codes[codes.length - 1]! + 1;
    if (needed > this.size) this.grow(Math.max(needed, this.size * 2));
    this.base[state] = b;
    if (b > this.maxBase) this.maxBase = b;
    const targets: number[] = [];
    for (const c of codes) {
      const t = b + c;
      this.unlink(t);
      this.check[t] = state;
      if (t > this.highest) this.highest = t;
      targets.push(t);
    }
    return targets;
  }

  /** Trims the arrays so that `base[s] + c` stays in bounds for every state and code. */
  finish(alphabetSize: number): number {
    const size = Math.max(this.highest + 1, this.maxBase + alphabetSize + 1);
    if (size > this.size) this.grow(size);
    this.base = this.base.slice(0, size);
    this.check = this.check.slice(0, size);
    this.next = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.listed = new Uint8Array(0);
    this.failures = new Uint8Array(0);
    return size;
  }
}

/** A copy of `a` in a new array of `size` elements (zero-filled beyond `a`). */
export function grow32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

function grow16(a: Uint16Array, size: number): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(size);
  b.set(a);
  return b;
}
