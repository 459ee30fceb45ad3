import { describe, expect, it } from 'vitest';
import { endpointOf, isLoopbackHost } from './loopback-address.js';

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LocalHost', 'localhost.', '127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:7f00:1', '::ffff:127.0.0.1', '127.1', '2130706433', '0x7f.1', '0177.0.0.1', '0.0.0.0', 'db.localhost'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each(['10.0.0.1', '128.0.0.1', 'db.example.com', 'localhost.example.com', '::2', '1.2.3.4.5', '256.0.0.1', '/var/run/postgresql', ''])('%s is not', (host) =>
    expect(isLoopbackHost(host)).toBe(false),
  );
});

describe('endpointOf', () => {
  it('reads the authority, the host/port query parameters, and the default port', () => {
    expect(endpointOf('postgresql://u:p@[::1]:6000/db')).toEqual({ host: '::1', port: 6000 });
    expect(endpointOf('postgresql://u@localhost/db')).toEqual({ host: 'localhost', port: 5432 });
    expect(endpointOf('postgresql:///db?host=127.0.0.1&port=6001')).toEqual({ host: '127.0.0.1', port: 6001 });
    expect(endpointOf('postgresql://u@db.example.com:6002/db?host=localhost')).toEqual({ host: 'localhost', port: 6002 });
  });
});
