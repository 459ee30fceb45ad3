// autocannon ships no types: only the part of its programmatic API the benches use.
declare module 'autocannon' {
  export interface Percentiles { average: number; min: number; max: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number }
  export interface Options {
    url: string;
    connections?: number;
    overallRate?: number;
    duration?: number;
    timeout?: number;
    headers?: Record<string, string>;
    /** setupRequest may point each request elsewhere (e.g. the job running now). */
    requests?: Array<{ method?: string; path?: string; setupRequest?: (req: { path: string; method: string }) => { path: string; method: string } }>;
  }
  export interface Result {
    latency: Percentiles;
    requests: Percentiles & { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
