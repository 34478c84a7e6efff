import { readFileSync } from 'node:fs';
import net from 'node:net';

// Below the kernel's ephemeral range and below the fixed ports of the bench (26533 up: its production topology's
// membership ports, Temporal, the API) and the chaos suite (26933 up).
const LOWEST = 20_000;
const HIGHEST = 26_499;

/**
 * A port nothing listens on, for a process a test starts seconds later (a PostgreSQL cluster, a worker's health
 * server). A port from the kernel (`listen(0)`) lies in its ephemeral range, where any outgoing connection of the
 * suite may take it as its own local port meanwhile: 54394 once was, in CI. Below that range only a listener can.
 */
export async function unusedPortBelowEphemeralRange(): Promise<number> {
  const highest = Math.min(HIGHEST, ephemeralRangeStart() - 1);
  if (highest < LOWEST) throw new Error(`the kernel's ephemeral range starts at ${highest + 1}: no port below it from ${LOWEST} on`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no unused port between ${LOWEST} and ${highest} after 50 tries`);
}

function ephemeralRangeStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
