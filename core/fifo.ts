/** A first-in first-out queue with O(1) push and shift (Array#shift copies the whole array). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  last(): T | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }
  clear(): T[] {
    const rest = this.toArray();
    this.items = [];
    this.head = 0;
    return rest;
  }
}
