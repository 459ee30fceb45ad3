import { endpointOf } from './loopback-address.js';

/** Replaces the password of a connection string: `postgresql://u:***@h/db`. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return connectionString.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** Removes every password-looking part of a free text (error messages may quote a URL). */
export function redactSecrets(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^\s/]*@/gi, '$1***@')
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value) && URL.canParse(value);
}

/**
 * The host `pg` will really connect to: a `?host=` parameter wins over the authority part, so
 * ALLOWED_DB_HOSTS must judge this one, not the URL's hostname.
 */
export function hostOf(connectionString: string): string {
  return endpointOf(connectionString).host;
}

/** The database name of a connection string, for replies ("target_db"). */
export function databaseNameOf(connectionString: string): string {
  const url = new URL(connectionString);
  return decodeURIComponent(url.pathname.replace(/^\//, '')) || url.username || 'postgres';
}
