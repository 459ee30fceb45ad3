import { describe, expect, it } from 'vitest';
import { databaseNameOf, hostOf, isPostgresUrl, redactConnectionString, redactSecrets } from './connection-string.js';

describe('redactConnectionString', () => {
  it('replaces the password', () => {
    expect(redactConnectionString('postgresql://postgres:s3cret@127.0.0.1:5432/highway_db')).toBe(
      'postgresql://postgres:***@127.0.0.1:5432/highway_db',
    );
  });

  it('replaces a percent-encoded password and one with a raw @', () => {
    expect(redactConnectionString('postgres://u:p%40ss%2Fw@db:5432/x')).toBe('postgres://u:***@db:5432/x');
    const out = redactConnectionString('postgresql://u:p@ss@h/db');
    expect(out).toBe('postgresql://u:***@h/db');
    expect(out).not.toContain('ss');
  });

  it('leaves a URL without a password unchanged', () => {
    for (const url of ['postgresql://postgres@127.0.0.1:5432/db', 'postgresql://h/db', 'postgresql://u@h/db?sslmode=require']) {
      expect(redactConnectionString(url)).toBe(url);
    }
  });

  it('replaces password query parameters and keeps the others', () => {
    const out = redactConnectionString('postgresql://u@h/db?sslmode=require&password=hunter2&PassFile=/x');
    expect(out).toBe('postgresql://u@h/db?sslmode=require&password=***&PassFile=***');
    expect(out).not.toContain('hunter2');
  });

  it('falls back to a regex for text that is not a URL', () => {
    const out = redactConnectionString('garbage //admin:topsecret@host');
    expect(out).toBe('garbage //admin:***@host');
  });
});

describe('redactSecrets', () => {
  it('redacts every connection string in a message', () => {
    const text = 'copy from postgresql://a:one@h1/db failed; retry POSTGRES://b:two@h2:5433/x too';
    expect(redactSecrets(text)).toBe('copy from postgresql://a:***@h1/db failed; retry POSTGRES://b:***@h2:5433/x too');
  });

  it('leaves text without passwords unchanged', () => {
    for (const text of ['connect ECONNREFUSED 127.0.0.1:5432', 'postgresql://u@h/db', 'user:pw@host (no scheme)']) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  // Regression (fixed): the password match stops at the first '@', so an unencoded '@' leaks the rest of the
  // password ('postgresql://u:***@ss@h/db'); redactConnectionString handles the same URL.
  it('hides all of a password that contains a raw @', () => {
    expect(redactSecrets('bad postgresql://u:p@ss@h/db')).not.toContain('ss@');
  });

  // Regression (fixed): a password given as a query parameter is left in the text.
  it('hides a password query parameter in free text', () => {
    expect(redactSecrets('bad postgresql://u@h/db?password=hunter2 here')).not.toContain('hunter2');
  });
});

describe('isPostgresUrl', () => {
  it('accepts postgres:// and postgresql:// URLs only', () => {
    expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
    expect(isPostgresUrl('POSTGRES://h')).toBe(true);
    expect(isPostgresUrl('mysql://h/db')).toBe(false);
    expect(isPostgresUrl('postgresql:/h/db')).toBe(false);
  });
});

describe('hostOf', () => {
  it('returns the host name', () => {
    expect(hostOf('postgresql://u:p@db.example.com:5432/x')).toBe('db.example.com');
    expect(hostOf('postgresql://192.168.67.1/x')).toBe('192.168.67.1');
  });

  it('strips IPv6 brackets', () => {
    expect(hostOf('postgresql://u@[::1]:5432/db')).toBe('::1');
  });

  it('defaults to localhost when the URL has no host', () => {
    expect(hostOf('postgresql:///db')).toBe('localhost');
  });

  it('is the host pg connects to: a ?host= parameter wins over the authority (ALLOWED_DB_HOSTS judges this one)', () => {
    expect(hostOf('postgresql://u@allowed.example/db?host=other.example')).toBe('other.example');
    expect(hostOf('postgresql://u@allowed.example/db?host=/var/run/postgresql')).toBe('/var/run/postgresql');
  });

  it('throws for an unparsable string', () => {
    expect(() => hostOf('not a url')).toThrow();
  });
});

describe('databaseNameOf', () => {
  it('returns the decoded path', () => {
    expect(databaseNameOf('postgresql://u:p@h:5432/highway_db')).toBe('highway_db');
    expect(databaseNameOf('postgresql://u@h/my%20db?sslmode=disable')).toBe('my db');
    expect(databaseNameOf('postgresql://u@h/%E4%B8%9A%E5%8A%A1')).toBe('业务');
  });

  it('falls back to the user name, then to postgres, like libpq', () => {
    expect(databaseNameOf('postgresql://alice@h')).toBe('alice');
    expect(databaseNameOf('postgresql://alice:pw@h/')).toBe('alice');
    expect(databaseNameOf('postgresql://h:5432')).toBe('postgres');
  });
});
