import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { rawRequest, toReply, type RawReply } from '../helpers/raw-request.js';
import { SECRET_TEXT, createSentinelDir } from '../helpers/sentinel.js';
import { traversalCorpus } from '../helpers/traversal-corpus.js';

const API = '/api/v0';
const TASKS = `${API}/data_pipeline/tasks`;

/** URL forms of a corpus entry: always percent-encoded; also raw when it is URL-safe, so the server decodes it once. */
function urlForms(value: string): string[] {
  const forms = [encodeURIComponent(value)];
  if (/^[\x21-\x7e]+$/.test(value) && !/[?#]/.test(value)) forms.push(value);
  return forms;
}

/**
 * Test (a): every path-taking parameter against ≥ 50 traversal strings, with symlinks out of the
 * data root in place. Never a 5xx, never the secret in a reply, and the sentinel directory outside
 * the root is byte-for-byte unchanged.
 */
describe('path traversal corpus against every path-taking parameter', () => {
  let db: TestDatabase;
  let t: TestApp;
  let sentinel: ReturnType<typeof createSentinelDir>;
  let before: string;
  let taskId: string;
  let corpus: string[];
  const failures: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
    sentinel = createSentinelDir();
    before = sentinel.snapshot();
    corpus = traversalCorpus(sentinel.dir, t.cwd);
    taskId = toReply(await rawRequest(t.app, 'post', TASKS).send({ task_name: 'corpus' })).json.data.task_id;
    const taskDir = path.join(t.dataRoot, taskId);
    // Symlinks out, at every level a parameter can reach.
    fs.symlinkSync(sentinel.dir, path.join(t.dataRoot, 'escape_link'));
    fs.symlinkSync(sentinel.dir, path.join(taskDir, 'escape_link'));
    fs.symlinkSync(path.join(sentinel.dir, 'secret.txt'), path.join(taskDir, 'secret_link.txt'));
    fs.mkdirSync(path.join(taskDir, 'vector_bak'));
    fs.symlinkSync(path.join(sentinel.dir, 'secret.txt'), path.join(taskDir, 'vector_bak', 'secret_link.txt'));
    for (const name of fs.readdirSync(sentinel.dir).filter((n) => n.startsWith('langchain_'))) {
      fs.symlinkSync(path.join(sentinel.dir, name), path.join(taskDir, 'vector_bak', name));
    }
    fs.mkdirSync(path.join(t.dataRoot, 'vector_bak'));
    fs.symlinkSync(path.join(sentinel.dir, 'secret.txt'), path.join(t.dataRoot, 'vector_bak', 'secret_link.txt'));
    fs.symlinkSync(path.join(sentinel.dir, 'table_list.txt'), path.join(t.cwd, 'table_link.txt'));
  });
  afterAll(async () => {
    sentinel.remove();
    await t.close();
    await db.drop();
  });

  beforeEach(() => {
    failures.length = 0;
  });

  function check(label: string, reply: RawReply): void {
    if (reply.status >= 500) failures.push(`${label} → ${reply.status} ${reply.text.slice(0, 200)}`);
    if (reply.text.includes(SECRET_TEXT)) failures.push(`${label} → secret in the reply`);
  }

  it('task_id in paths, bodies and query strings', async () => {
    for (const value of corpus) {
      for (const id of urlForms(value)) {
        const base = `${TASKS}/${id}`;
        const calls: [string, Promise<unknown>][] = [
          ['GET task', rawRequest(t.app, 'get', base)],
          ['GET files', rawRequest(t.app, 'get', `${base}/files`)],
          ['GET logs', rawRequest(t.app, 'get', `${base}/logs`)],
          ['GET table-list-info', rawRequest(t.app, 'get', `${base}/table-list-info`)],
          ['POST logs/query', rawRequest(t.app, 'post', `${base}/logs/query`).send({})],
          ['POST execute', rawRequest(t.app, 'post', `${base}/execute`).send({})],
          ['POST cancel', rawRequest(t.app, 'post', `${base}/cancel`)],
          ['POST table-list', rawRequest(t.app, 'post', `${base}/table-list`).send({ tables: ['public.a'] })],
          ['DELETE task', rawRequest(t.app, 'delete', base)],
        ];
        for (const [label, call] of calls) check(`${label} ${JSON.stringify(id).slice(0, 80)}`, toReply((await call) as never));
      }
      const bodyCalls: [string, Promise<unknown>][] = [
        ['backup task_id', rawRequest(t.app, 'post', `${API}/data_pipeline/vector/backup`).send({ task_id: value, backup_vector_tables: true })],
        ['list task_id', rawRequest(t.app, 'get', `${API}/data_pipeline/vector/restore/list`).query({ task_id: value })],
        ['batch delete', rawRequest(t.app, 'delete', TASKS).send({ task_ids: [value], confirm: true })],
      ];
      for (const [label, call] of bodyCalls) check(`${label} ${JSON.stringify(value).slice(0, 80)}`, toReply((await call) as never));
    }
    expect(failures).toEqual([]);
    expect(fs.existsSync(path.join(t.dataRoot, taskId))).toBe(true);
  });

  it('file names of downloads', async () => {
    for (const value of corpus) {
      for (const name of urlForms(value)) {
        check(`file ${JSON.stringify(name).slice(0, 80)}`, toReply(await rawRequest(t.app, 'get', `${TASKS}/${taskId}/files/${name}`)));
        check(`vector_bak file ${JSON.stringify(name).slice(0, 80)}`, toReply(await rawRequest(t.app, 'get', `${TASKS}/${taskId}/files/vector_bak/${name}`)));
      }
    }
    expect(failures).toEqual([]);
  });

  it('backup_path, timestamp and table_list_file', async () => {
    const valid = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20991231_235959' };
    for (const value of [...corpus, ...corpus.map((v) => `./data_pipeline/training_data/${v}`), `./data_pipeline/training_data/${taskId}/vector_bak`]) {
      check(`restore backup_path ${JSON.stringify(value).slice(0, 80)}`, toReply(await rawRequest(t.app, 'post', `${API}/data_pipeline/vector/restore`).send({ ...valid, backup_path: value })));
    }
    for (const value of corpus) {
      check(`restore timestamp ${JSON.stringify(value).slice(0, 80)}`, toReply(await rawRequest(t.app, 'post', `${API}/data_pipeline/vector/restore`).send({ ...valid, timestamp: value })));
      for (const file of [value, `${value}.txt`, `${value}/table_list.txt`]) {
        check(`create table_list_file ${JSON.stringify(file).slice(0, 80)}`, toReply(await rawRequest(t.app, 'post', TASKS).send({ table_list_file: file })));
      }
    }
    const linked = toReply(await rawRequest(t.app, 'post', TASKS).send({ table_list_file: 'table_link.txt' }));
    expect(linked.status).toBe(400);
    expect(failures).toEqual([]);
  });

  it('upload file names', async () => {
    for (const value of corpus) {
      for (const [route, name] of [['files', value], ['files', `${value}.txt`], ['upload-table-list', `${value}.txt`]] as const) {
        let reply: RawReply;
        try {
          reply = toReply(await rawRequest(t.app, 'post', `${TASKS}/${taskId}/${route}`).attach('file', Buffer.from('public.bss_company\n'), name));
        } catch (err) {
          // The HTTP client itself refuses some names (e.g. a NUL or newline in a header): nothing was sent.
          if (/Invalid character|header/i.test(String(err))) continue;
          throw err;
        }
        check(`upload ${route} ${JSON.stringify(name).slice(0, 80)}`, reply);
      }
    }
    expect(failures).toEqual([]);
  });

  it('left nothing outside the data root changed', () => {
    expect(sentinel.snapshot()).toBe(before);
    expect(fs.readlinkSync(path.join(t.dataRoot, 'escape_link'))).toBe(sentinel.dir);
  });
});
