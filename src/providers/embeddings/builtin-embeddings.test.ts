import { describe, expect, it } from 'vitest';
import { BUILTIN_EMBEDDING_MODEL, BuiltinEmbeddings } from './builtin-embeddings.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

async function similarities(anchor: string, near: string, far: string): Promise<{ near: number; far: number }> {
  const [a = [], n = [], f = []] = await new BuiltinEmbeddings(512).embed([anchor, near, far]);
  return { near: cosine(a, n), far: cosine(a, f) };
}

describe('BuiltinEmbeddings', () => {
  it('describes itself', () => {
    const embeddings = new BuiltinEmbeddings(64);
    expect(embeddings).toMatchObject({ name: 'builtin', model: BUILTIN_EMBEDDING_MODEL, dimensions: 64 });
  });

  it('returns unit vectors of the configured length, one per input', async () => {
    const vectors = await new BuiltinEmbeddings(384).embed(['orders by month', '每个月的订单数量', 'x']);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 12);
    }
  });

  it('is deterministic, and pinned so stored vectors stay comparable across releases', async () => {
    const [first = []] = await new BuiltinEmbeddings(16).embed(['SELECT name FROM customers']);
    const [again = []] = await new BuiltinEmbeddings(16).embed(['SELECT name FROM customers']);
    expect(again).toEqual(first);
    // A change here changes every stored vector: bump BUILTIN_EMBEDDING_MODEL with it.
    expect(first.map((value) => Math.round(value * 1e4))).toMatchInlineSnapshot(`
      [
        -1581,
        3162,
        0,
        1581,
        -3162,
        -1581,
        1581,
        -1581,
        -3162,
        -1581,
        4743,
        -3162,
        0,
        -1581,
        3162,
        -3162,
      ]
    `);
  });

  it('gives empty and punctuation-only text the zero vector', async () => {
    expect(await new BuiltinEmbeddings(8).embed(['', '  ', '?!'])).toEqual([Array(8).fill(0), Array(8).fill(0), Array(8).fill(0)]);
  });

  it('scores near-duplicate English above unrelated text', async () => {
    const score = await similarities(
      'How many orders were placed last month?',
      'how many orders were placed in the last month',
      'List every employee hired after 2020',
    );
    expect(score.near).toBeGreaterThan(0.7);
    expect(score.near).toBeGreaterThan(score.far + 0.4);
  });

  it('scores near-duplicate Chinese above unrelated text', async () => {
    const score = await similarities('查询每个部门的员工数量', '统计每个部门员工的数量', '今天天气很好适合出去散步');
    expect(score.near).toBeGreaterThan(0.5);
    expect(score.near).toBeGreaterThan(score.far + 0.4);
  });

  it('matches identifiers written with underscores or full-width letters', async () => {
    const score = await similarities('order_items table', 'ＯＲＤＥＲ ＩＴＥＭＳ table', 'payment methods');
    expect(score.near).toBeGreaterThan(0.95);
  });

  // Throughput is measured by bench/builtin-embeddings-bench.ts, not asserted here (a loaded machine
  // failed a time limit 4 runs out of 4). What a large batch must get right:
  it('embeds a batch of 3000 documents: one unit vector each, in order, equal to embedding them one by one', async () => {
    const docs = Array.from({ length: 3000 }, (_, i) => `客户 ${i} 在 2024 年下了 ${i % 17} 个订单 customer order total ${i}`);
    const embeddings = new BuiltinEmbeddings(1024);
    const vectors = await embeddings.embed(docs);
    expect(vectors).toHaveLength(3000);
    for (const v of vectors) {
      expect(v).toHaveLength(1024);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    for (const i of [0, 1499, 2999]) expect(vectors[i]).toEqual((await embeddings.embed([docs[i]!]))[0]);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new BuiltinEmbeddings(8).embed(['x'], { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
