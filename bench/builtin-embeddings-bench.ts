/**
 * Throughput of the built-in embedding provider (moved here from its unit test, which asserted a
 * time limit and failed on loaded machines). Prints documents per second; asserts nothing.
 *   npx tsx bench/builtin-embeddings-bench.ts        (BENCH_DOCS=3000 BENCH_DIM=1024 BENCH_REPEAT=5)
 */
import { BuiltinEmbeddings } from '../src/providers/embeddings/builtin-embeddings.js';

const count = Number(process.env.BENCH_DOCS ?? 3000);
const dim = Number(process.env.BENCH_DIM ?? 1024);
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const docs = Array.from({ length: count }, (_, i) => `客户 ${i} 在 2024 年下了 ${i % 17} 个订单 customer order total ${i}`);
const embeddings = new BuiltinEmbeddings(dim);
await embeddings.embed(docs.slice(0, 200)); // warm-up

const rates: number[] = [];
for (let round = 0; round < repeat; round++) {
  const started = performance.now();
  await embeddings.embed(docs);
  rates.push(count / ((performance.now() - started) / 1000));
}
rates.sort((a, b) => a - b);
console.log(`builtin embeddings, ${count} docs × ${dim} dims: median ${Math.round(rates[Math.floor(rates.length / 2)]!)} docs/s (min ${Math.round(rates[0]!)}, max ${Math.round(rates.at(-1)!)})`);
