// Seeded pseudo-random numbers, so that every random choice of a run (splits, shuffles, initial
// weights, random masks) follows from its seed alone.

/** mulberry32: small, fast, good enough for shuffling and initialisation; returns floats in [0, 1). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** A new generator whose stream depends on this seed and a label; used to keep sub-streams independent. */
  static derive(seed: number, label: string): Rng {
    let h = seed >>> 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new Rng(h);
  }

  /** The generator's position, for explicit state (a method's state stores it between epochs). */
  get position(): number {
    return this.state;
  }

  /** A generator that continues from a saved `position`. */
  static at(position: number): Rng {
    const r = new Rng(0);
    r.state = position >>> 0;
    return r;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A 32-bit seed for tfjs ops that take one. */
  seed(): number {
    return Math.floor(this.next() * 2147483647);
  }

  /** Fisher–Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
