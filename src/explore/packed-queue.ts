// One BFS level of packed states: their words side by side in one Int32Array, with each
// state's store index beside it. A level of ten million TwoPhase states is 80 MB of typed
// array instead of ten million objects for the garbage collector to copy and promote.

const INITIAL_STATES = 1 << 10;

export class PackedQueue {
  private data: Int32Array;
  private index: Int32Array;
  length = 0;

  constructor(private readonly words: number) {
    this.data = new Int32Array(INITIAL_STATES * words);
    this.index = new Int32Array(INITIAL_STATES);
  }

  /** Appends a state; false when its memory cannot be allocated (the search then ends as
   * bounded by memory, not as a crash). */
  push(words: Int32Array, index: number): boolean {
    if (this.length === this.index.length && !this.grow()) return false;
    const at = this.length * this.words;
    for (let i = 0; i < this.words; i++) this.data[at + i] = words[i];
    this.index[this.length++] = index;
    return true;
  }

  /** Copies state k's words into `out` and returns its store index. */
  read(k: number, out: Int32Array): number {
    const at = k * this.words;
    for (let i = 0; i < this.words; i++) out[i] = this.data[at + i];
    return this.index[k];
  }

  /** Empties the level, keeping its memory for the level after next. */
  reset(): void {
    this.length = 0;
  }

  /** Lets the memory go (the search has ended). */
  release(): void {
    this.length = 0;
    this.data = new Int32Array(0);
    this.index = new Int32Array(0);
  }

  get bytes(): number {
    return this.data.byteLength + this.index.byteLength;
  }

  private grow(): boolean {
    const capacity = Math.max(INITIAL_STATES, this.index.length * 2);
    try {
      const data = new Int32Array(capacity * this.words);
      data.set(this.data);
      const index = new Int32Array(capacity);
      index.set(this.index);
      this.data = data;
      this.index = index;
      return true;
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
  }
}
