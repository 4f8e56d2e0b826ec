/**
 * A FIFO with a fixed capacity that makes room by dropping its oldest items, as Prometheus' notifier
 * queue does: when a peer is away for long, the newest state is what matters (the ruler re-sends
 * firing alerts every minute), and memory stays bounded.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  // Items live in items[head..]; the consumed prefix is cut off now and then instead of shifting
  // the array on every take.
  private items: T[] = [];
  private head = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`queue capacity must be at least 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends the items; returns the oldest ones dropped to stay within capacity (often none). */
  pushAll(items: readonly T[]): T[] {
    for (const it of items) this.items.push(it);
    const over = this.length - this.capacity;
    if (over <= 0) return [];
    const dropped = this.items.slice(this.head, this.head + over);
    this.head += over;
    this.compact();
    return dropped;
  }

  /** Takes up to `max` items from the front that share the first item's `key`. */
  takeBatch(max: number, key: (item: T) => string): T[] {
    if (this.length === 0) return [];
    const k = key(this.items[this.head]!);
    let end = this.head;
    const limit = Math.min(this.items.length, this.head + max);
    while (end < limit && key(this.items[end]!) === k) end++;
    const batch = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return batch;
  }

  /** Empties the queue, returning what it held. */
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
