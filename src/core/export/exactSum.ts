/**
 * A sum of doubles that does not depend on the order they are added in: the exact sum is kept
 * as non-overlapping partials (Shewchuk's algorithm, as Python's math.fsum) and rounded once at
 * the end. Rows arrive in whatever order concurrent calls finish, and a merged sharded run reads
 * them in yet another order; means over them must come out the same to the last bit.
 */
export class ExactSum {
  private partials: number[] = [];

  add(x: number): void {
    let n = 0;
    for (let i = 0; i < this.partials.length; i++) {
      let y = this.partials[i]!;
      if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t; }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) this.partials[n++] = lo;
      x = hi;
    }
    this.partials.length = n;
    this.partials.push(x);
  }

  /** The correctly rounded sum. */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi, y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half-even across the remaining partials, as fsum does.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2, x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
