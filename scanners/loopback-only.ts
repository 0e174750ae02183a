/**
 * A tripwire for the egress tests: while installed, every TCP connection this process opens to an address
 * outside loopback is refused before the socket connects (the socket fails with an error), and recorded. A guard that failed to refuse
 * an internal address (10.1.2.3, 169.254.169.254) would otherwise send a real packet off the machine; with
 * the tripwire it is stopped here, and `attempts` makes the test fail naming the address.
 */
import { isIP, Socket } from 'node:net';

/** Addresses a test process may connect to: loopback only (IPv4, IPv6 and IPv4-mapped IPv6). */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/** Where a `Socket#connect` call goes: a host for TCP, or null for a local (Unix) socket path. */
function targetOf(args: unknown[]): string | null {
  const [first, second] = args as [unknown, unknown];
  if (Array.isArray(first)) return targetOf(first as unknown[]);
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    if (options.path !== undefined) return null;
    return options.host ?? 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null;
  return typeof second === 'string' ? second : 'localhost';
}

export interface LoopbackTripwire {
  /** Connections refused since install, by target host. */
  readonly attempts: string[];
  /** Restores `Socket#connect`. */
  uninstall(): void;
}

/** Installs the tripwire on `net.Socket` (every http, https and undici connection goes through it). */
export function installLoopbackOnly(): LoopbackTripwire {
  const attempts: string[] = [];
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
    const host = targetOf(args);
    if (host !== null && !isLoopback(host)) {
      attempts.push(host);
      // Fails like a refused connection would (an 'error' event), so callers see it where they listen.
      const refusal = new Error(`test tripwire: a connection to ${host} (outside loopback) was attempted`);
      process.nextTick(() => this.destroy(refusal));
      return this;
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    attempts,
    uninstall: () => {
      Socket.prototype.connect = original;
    },
  };
}
