// Numbered bind parameters ($1, $2, ...) collected while a statement is built, so SQL text never
// contains a value. Sequelize maps $n to each driver's placeholder.
export class Binds {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Placeholders for a list, for IN (...). */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }
}
