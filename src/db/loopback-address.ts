import net from 'node:net';

/** 127.0.0.0/8 (IPv4-mapped IPv6 forms included: BlockList checks them against IPv4 rules), ::1, 0.0.0.0. */
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
// Connecting to the unspecified address reaches this host on Linux and macOS.
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::', 'ipv6');

/**
 * The host and port a connection string makes `pg` connect to, as pg-connection-string reads it:
 * a `host`/`port` query parameter wins over the authority part; no port means 5432.
 */
export function endpointOf(connectionString: string): { host: string; port: number } {
  const url = new URL(connectionString);
  const host = url.searchParams.get('host') ?? decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '');
  const port = Number(url.searchParams.get('port') ?? (url.port || 5432));
  return { host: host || 'localhost', port };
}

/**
 * True when `host` names this machine's loopback interface however it is spelled: `localhost`
 * (any case, trailing dot), any 127.x address, `::1`, IPv4-mapped forms, and the inet_aton
 * shorthands the resolver accepts (`127.1`, `2130706433`, `0x7f.1`).
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv6(name)) return LOOPBACK.check(name, 'ipv6');
  const ipv4 = inetAton(name);
  return ipv4 !== null && LOOPBACK.check(ipv4, 'ipv4');
}

/** inet_aton(3): one to four parts, each decimal, 0x-hex or 0-octal; the last fills the remaining bytes. */
function inetAton(text: string): string | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/.test(part)) return null;
    values.push(part.startsWith('0x') ? Number.parseInt(part.slice(2), 16) : part.length > 1 && part.startsWith('0') ? Number.parseInt(part, 8) : Number(part));
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return null;
  let address = values.reduce((acc, v, i) => acc + v * 2 ** (8 * (3 - i)), 0) + last;
  const bytes = [];
  for (let i = 0; i < 4; i++) {
    bytes.unshift(address % 256);
    address = Math.floor(address / 256);
  }
  return bytes.join('.');
}
