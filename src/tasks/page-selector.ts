export interface Pagination {
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
  has_next: boolean;
  has_prev: boolean;
}

export function paginate(total: number, page: number, pageSize: number): Pagination {
  const totalPages = Math.ceil(total / pageSize);
  return { page, page_size: pageSize, total, total_pages: totalPages, has_next: page < totalPages, has_prev: page > 1 };
}

/**
 * Picks the items at ranks `[offset, offset + size)` of a stream in sort order without holding the
 * stream: it keeps at most 2 × (offset + size) items, sorting and cutting back to offset + size
 * whenever the buffer fills (O(n log k) overall).
 */
export class PageSelector<T> {
  private buffer: T[] = [];
  private readonly keep: number;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly offset: number,
    private readonly size: number,
  ) {
    this.keep = offset + size;
  }

  push(item: T): void {
    this.buffer.push(item);
    if (this.buffer.length >= 2 * this.keep) this.trim();
  }

  /** The selected page, in sort order. */
  page(): T[] {
    this.trim();
    return this.buffer.slice(this.offset, this.offset + this.size);
  }

  private trim(): void {
    this.buffer.sort(this.compare);
    this.buffer.length = Math.min(this.buffer.length, this.keep);
  }
}

/** Keeps the last `capacity` items pushed, in push order. */
export class TailBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}
