import type { JobRow } from '../db/sql/jobs.sql.js';
import type { Logger } from '../logger.js';
import { vectorJobKindOf } from './vector-job-kinds.js';
import { vectorJobViewOf } from './vector-job-service.js';

export interface WebhookSettings {
  url: string;
  /** Per attempt, ms: a slow receiver never holds a connection for long. */
  timeoutMs?: number;
  attempts?: number;
  /** Wait before retry n is n × backoffMs. */
  backoffMs?: number;
}

/** What WEBHOOK_URL receives when a backup, restore or verify job ends (SPEC §7). */
export interface JobFinishedEvent {
  event: 'job.finished';
  job_id: string;
  kind: string;
  status: string;
  finished_at: string | null;
  /** Passwords replaced by `***`, as in GET …/vector/jobs/{job_id}. */
  request: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error: string | null;
}

/**
 * Tells an operator's endpoint that a vector job ended. Called after the end is recorded and
 * fire-and-forget: the job's outcome never depends on the receiver, and a receiver that is down
 * costs a few retries and a warning, nothing more. Other job kinds (task executions) are ignored.
 */
export class WebhookNotifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
  ) {
    this.timeoutMs = settings.timeoutMs ?? 5000;
    this.attempts = settings.attempts ?? 3;
    this.backoffMs = settings.backoffMs ?? 500;
  }

  /** The runner's onJobEnd listener; never throws, never waits. */
  jobEnded(job: JobRow): void {
    if (!vectorJobKindOf(job.kind)) return;
    const view = vectorJobViewOf(job);
    const event: JobFinishedEvent = {
      event: 'job.finished',
      job_id: view.job_id,
      kind: view.kind,
      status: view.status,
      finished_at: view.finished_at,
      request: view.request,
      result: view.result,
      error: view.error,
    };
    const sent: Promise<void> = this.send(event).finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the posts under way (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async send(event: JobFinishedEvent): Promise<void> {
    const log = this.logger.child({ component: 'webhook', jobId: event.job_id });
    let failure = '';
    for (let attempt = 1; attempt <= this.attempts; attempt += 1) {
      if (attempt > 1) await sleep(this.backoffMs * (attempt - 1));
      try {
        const res = await fetch(this.settings.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'error',
        });
        await res.body?.cancel();
        if (res.ok) return;
        failure = `HTTP ${res.status}`;
        // A 4xx other than 429 says the receiver refuses this request: sending it again changes nothing.
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        failure = (err as Error).message;
      }
    }
    // The URL is not logged: it may carry a token in its query.
    log.warn({ status: event.status, failure }, 'job-end webhook not delivered');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
