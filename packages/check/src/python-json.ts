/**
 * Python's view of JSON, as Dify's API process (CPython 3.12) sees a reply: `json.loads` with its exact
 * error messages, and `repr()` of the parsed value, which Dify puts in some of its error messages.
 */

/** A `json.JSONDecodeError` (or the `UnicodeDecodeError` of a body that is not UTF-8), with Python's text. */
export class PythonJsonError extends Error {
  override readonly name = "PythonJsonError";
}

function decodeError(message: string, doc: string, pos: number): PythonJsonError {
  // Positions are counted in code points, like Python's str indices.
  const before = doc.slice(0, pos);
  const line = before.split("\n").length;
  const lastNewline = before.lastIndexOf("\n");
  const column = pos - lastNewline;
  return new PythonJsonError(`${message}: line ${line} column ${column} (char ${pos})`);
}

/** Decodes bytes as `json.loads(bytes)` does: UTF-8 (a BOM is skipped), strict, surrogates allowed. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return text;
  } catch {
    throw new PythonJsonError(utf8ErrorMessage(bytes));
  }
}

function utf8ErrorMessage(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    const hex = `0x${byte.toString(16).padStart(2, "0")}`;
    let need = 0;
    if (byte < 0x80) need = 0;
    else if (byte >= 0xc2 && byte <= 0xdf) need = 1;
    else if (byte >= 0xe0 && byte <= 0xef) need = 2;
    else if (byte >= 0xf0 && byte <= 0xf4) need = 3;
    else return `'utf-8' codec can't decode byte ${hex} in position ${i}: invalid start byte`;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) {
        return `'utf-8' codec can't decode byte ${hex} in position ${i}: unexpected end of data`;
      }
      const next = bytes[i + k]!;
      if ((next & 0xc0) !== 0x80) {
        return `'utf-8' codec can't decode byte ${hex} in position ${i}: invalid continuation byte`;
      }
    }
    i += need + 1;
  }
  return "'utf-8' codec can't decode the body";
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

class Scanner {
  /** The document as code points, so indices match Python's. */
  private readonly chars: string[];
  constructor(private readonly doc: string) {
    this.chars = Array.from(doc);
  }

  private skip(pos: number): number {
    let p = pos;
    while (p < this.chars.length && " \t\n\r".includes(this.chars[p]!)) p++;
    return p;
  }

  private fail(message: string, pos: number): never {
    throw decodeError(message, this.doc, pos);
  }

  decode(): unknown {
    const start = this.skip(0);
    const [value, end] = this.value(start);
    const after = this.skip(end);
    if (after !== this.chars.length) this.fail("Extra data", after);
    return value;
  }

  /** Python's scan_once; a value that cannot start at `pos` raises "Expecting value" there. */
  private value(pos: number): [unknown, number] {
    const char = this.chars[pos];
    const rest = (length: number) => this.chars.slice(pos, pos + length).join("");
    if (char === undefined) this.fail("Expecting value", pos);
    if (char === '"') return this.string(pos + 1);
    if (char === "{") return this.object(pos + 1);
    if (char === "[") return this.array(pos + 1);
    if (char === "n" && rest(4) === "null") return [null, pos + 4];
    if (char === "t" && rest(4) === "true") return [true, pos + 4];
    if (char === "f" && rest(5) === "false") return [false, pos + 5];
    const tail = this.chars.slice(pos, pos + 400).join("");
    NUMBER.lastIndex = 0;
    const number = NUMBER.exec(tail);
    if (number && number.index === 0 && number[0] !== "" && number[0] !== "-") {
      return [Number(number[0]), pos + Array.from(number[0]).length];
    }
    if (char === "N" && rest(3) === "NaN") return [Number.NaN, pos + 3];
    if (char === "I" && rest(8) === "Infinity") return [Number.POSITIVE_INFINITY, pos + 8];
    if (char === "-" && rest(9) === "-Infinity") return [Number.NEGATIVE_INFINITY, pos + 9];
    return this.fail("Expecting value", pos);
  }

  private string(start: number): [string, number] {
    let out = "";
    let pos = start;
    for (;;) {
      const char = this.chars[pos];
      if (char === undefined) this.fail("Unterminated string starting at", start - 1);
      if (char === '"') return [out, pos + 1];
      if (char.codePointAt(0)! < 0x20) this.fail("Invalid control character at", pos);
      if (char !== "\\") {
        out += char;
        pos++;
        continue;
      }
      const escaped = this.chars[pos + 1];
      if (escaped === undefined) this.fail("Unterminated string starting at", start - 1);
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (escaped in simple) {
        out += simple[escaped];
        pos += 2;
        continue;
      }
      if (escaped !== "u") this.fail("Invalid \\escape", pos);
      const hex = this.chars.slice(pos + 2, pos + 6).join("");
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("Invalid \\uXXXX escape", pos + 1);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      pos += 6;
    }
  }

  private object(start: number): [Record<string, unknown>, number] {
    const result: Record<string, unknown> = {};
    let pos = this.skip(start);
    if (this.chars[pos] === "}") return [result, pos + 1];
    for (;;) {
      if (this.chars[pos] !== '"') this.fail("Expecting property name enclosed in double quotes", pos);
      const [key, afterKey] = this.string(pos + 1);
      pos = this.skip(afterKey);
      if (this.chars[pos] !== ":") this.fail("Expecting ':' delimiter", pos);
      pos = this.skip(pos + 1);
      const [value, afterValue] = this.value(pos);
      // Like a Python dict: a repeated key keeps its first position and takes the last value.
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      pos = this.skip(afterValue);
      if (this.chars[pos] === "}") return [result, pos + 1];
      if (this.chars[pos] !== ",") this.fail("Expecting ',' delimiter", pos);
      pos = this.skip(pos + 1);
    }
  }

  private array(start: number): [unknown[], number] {
    const result: unknown[] = [];
    let pos = this.skip(start);
    if (this.chars[pos] === "]") return [result, pos + 1];
    for (;;) {
      const [value, afterValue] = this.value(pos);
      result.push(value);
      pos = this.skip(afterValue);
      if (this.chars[pos] === "]") return [result, pos + 1];
      if (this.chars[pos] !== ",") this.fail("Expecting ',' delimiter", pos);
      pos = this.skip(pos + 1);
    }
  }
}

/**
 * `json.loads(response.content)` as Dify runs it: accepts what Python accepts (including `NaN` and
 * `Infinity`) and throws a {@link PythonJsonError} with Python's exact message otherwise, e.g.
 * `Expecting value: line 1 column 1 (char 0)` for an empty or non-JSON body.
 */
export function pythonJsonLoads(body: Uint8Array | string): unknown {
  const text = typeof body === "string" ? body : decodeUtf8(body);
  return new Scanner(text).decode();
}

/** Python's type name of a parsed JSON value: `dict`, `list`, `str`, `int`, `float`, `bool`, `NoneType`. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "dict";
}

function reprString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === "\\") out += "\\\\";
    else if (char === quote) out += `\\${quote}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad)
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return out + quote;
}

function reprNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  return String(value);
}

/** Python's `repr()` of a parsed JSON value, e.g. `{'data': {'result': 'pong'}, 'ok': True}`. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return reprNumber(value);
  if (typeof value === "string") return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${reprString(key)}: ${pythonRepr(item)}`).join(", ")}}`;
}
