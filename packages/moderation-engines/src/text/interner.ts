/**
 * Numbering strings in the order they are first met (syllables of a term list, the labels of
 * findings written compactly). Platform-neutral.
 */

/** Gives each distinct string a number, 0, 1, 2… in the order first met; `values[n]` is string n. */
export class Interner {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  /** The number of `value`, given it now if it has none yet. */
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The number of `value`, if it has one. */
  known(value: string): number | undefined {
    return this.ids.get(value);
  }
}
