/**
 * Test hosts made with network namespaces on this machine (issue 18, bench/scale/hosts.ts): each host is a
 * namespace with its own loopback and one end of a veth pair; the other ends hang on one bridge in the root
 * namespace, which holds the first address of a private /24. A process started in a host (`ip netns exec`)
 * reaches only that /24: no route leads anywhere else, and its 127.0.0.1 is its own. What it should reach
 * (PostgreSQL, the sandboxes) must listen on the bridge address.
 *
 * Names carry this process's id (`cw<pid>h<n>` namespaces, `cw<pid>v<n>` veths, `cw<pid>br` the bridge), so
 * runs side by side do not meet, and a run that died without cleaning up (SIGKILL) is swept by the next one:
 * names whose process is gone are removed first. Removal runs in `remove()` (call it in a finally), and on
 * the process's exit as a last resort (synchronously); deleting a namespace deletes its veth pair.
 */
import { execFileSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** Why hosts cannot be made here (not root, no `ip netns`), or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add); run as root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
  } catch (error) {
    return `\`ip netns\` is not available: ${(error as Error).message.split('\n')[0]}`;
  }
  return null;
}

export interface NetnsHost {
  /** The namespace's name. */
  name: string;
  /** Its address on the bridge. */
  address: string;
  /** The command prefix that runs a program inside it (for startWorker). */
  wrap: readonly string[];
}

export interface NetnsHosts {
  /** The bridge's address in the root namespace: where the hosts' servers must listen. */
  bridgeAddress: string;
  hosts: NetnsHost[];
  /** Removes the namespaces (their veths go with them) and the bridge; safe to call twice. */
  remove(): void;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });

/** Runs `ip …`, ignoring failure (removing what is already gone). */
const ipQuiet = (...args: string[]): void => {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes namespaces, veths and bridges of earlier runs whose process is gone. */
export function sweepStaleHosts(): string[] {
  const removed: string[] = [];
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = /^cw(\d+)h\d+$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) {
      ipQuiet('netns', 'delete', name);
      removed.push(name);
    }
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '';
    const pid = /^cw(\d+)(br|v\d+)$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) {
      ipQuiet('link', 'delete', name);
      removed.push(name);
    }
  }
  return removed;
}

/** A /24 of 10.231.0.0/16 that no interface of the root namespace uses, chosen from this process's id. */
function freeSubnet(): string {
  const used = ip('-o', '-4', 'addr', 'show');
  for (let i = 0; i < 250; i += 1) {
    const subnet = `10.231.${((process.pid + i) % 250) + 1}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free /24 in 10.231.0.0/16 for the test hosts');
}

/**
 * Makes `count` hosts on one bridge (see the file comment). Throws with the reason when namespaces are
 * not available; on a failure half way, removes what it made.
 */
export function createHosts(count: number): NetnsHosts {
  const reason = netnsUnavailable();
  if (reason) throw new Error(reason);
  sweepStaleHosts();
  const tag = `cw${process.pid}`;
  const bridge = `${tag}br`;
  const subnet = freeSubnet();
  const bridgeAddress = `${subnet}.1`;
  const hosts: NetnsHost[] = [];
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    for (const host of hosts) ipQuiet('netns', 'delete', host.name);
    for (let n = 0; n < count; n += 1) ipQuiet('link', 'delete', `${tag}v${n}`);
    ipQuiet('link', 'delete', bridge);
  };
  // The last resort: exit handlers run synchronously, which `ip` from execFileSync is.
  process.on('exit', remove);
  try {
    ip('link', 'add', 'name', bridge, 'type', 'bridge');
    ip('address', 'add', `${bridgeAddress}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (let n = 0; n < count; n += 1) {
      const name = `${tag}h${n}`;
      const veth = `${tag}v${n}`;
      const address = `${subnet}.${11 + n}`;
      ip('netns', 'add', name);
      hosts.push({ name, address, wrap: ['ip', 'netns', 'exec', name] });
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
      ip('link', 'set', veth, 'master', bridge);
      ip('link', 'set', veth, 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      ip('-n', name, 'address', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', name, 'link', 'set', 'eth0', 'up');
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { bridgeAddress, hosts, remove };
}

/**
 * A TCP forwarder listening on `host` (a free port) that passes every connection on to `target`: how the
 * hosts reach the machine's PostgreSQL, which listens on 127.0.0.1 only (its configuration is the machine's,
 * shared with other work, so it is not changed for a bench). It runs on a thread of its own, so the
 * database traffic of every worker does not queue behind the bench's own event loop (the sandbox proxy,
 * the polling), as it would not on a real network.
 */
export async function startTcpForwarder(
  host: string,
  target: { host: string; port: number },
): Promise<{ host: string; port: number; connections: () => number; close(): Promise<void> }> {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(new URL(import.meta.url), { workerData: { host, target, counter } });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', (message: { port: number }) => resolve(message.port));
    thread.once('error', reject);
  });
  return {
    host,
    port,
    connections: () => Atomics.load(counter, 0),
    close: async () => {
      await thread.terminate();
    },
  };
}

/** The forwarder's thread: listens, pipes each connection both ways, counts them. */
function forward(options: { host: string; target: { host: string; port: number }; counter: Int32Array }) {
  const server = createServer((client) => {
    Atomics.add(options.counter, 0, 1);
    const upstream = createConnection(options.target);
    for (const socket of [client, upstream]) socket.setNoDelay(true);
    // Either side failing or closing ends the other: a connection is never left half open.
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, options.host, () => {
    parentPort!.postMessage({ port: (server.address() as { port: number }).port });
  });
}

if (!isMainThread && (workerData as { counter?: unknown } | null)?.counter) forward(workerData);
