/**
 * Egress control for every provider call. An integration's URL settings (AWS `endpoint`, GitHub
 * `baseUrl`, Okta `orgUrl`, Azure `endpoint` and `authorityHost`) are set by a tenant admin, and the
 * scanner sends the stored credentials there: without a guard, an admin could point them at the cloud
 * metadata service or at the platform's own network and read what answers.
 *
 * Two checks, both against the same policy:
 * - a URL setting must name the provider's own public service over https, or a host the operator
 *   allowlists (`COMPLYWISE_EGRESS_ALLOW`: comma-separated `host` or `host:port` patterns, `*.` for
 *   subdomains); no user info, no other scheme;
 * - every connection an SDK opens resolves its host first (with the policy's resolver, which tests
 *   replace) and refuses loopback, private, link-local (metadata), multicast, unspecified and other
 *   internal addresses, unless the operator allowlists that host; it then connects to the address it
 *   checked, so a second DNS answer cannot differ. Redirects open new connections and are checked alike.
 *
 * The http(s) agents serve the SDKs built on node:http (AWS, Azure, Okta); the undici dispatcher serves
 * those built on fetch (Octokit, through `request: { fetch }`).
 */
import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { BlockList, isIP, type Socket } from 'node:net';
import { Agent as UndiciAgent, buildConnector, fetch as undiciFetch, type Dispatcher } from 'undici';

/** Resolves a host name to every address it has; tests pass one that never touches the network. */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface EgressPolicy {
  /** Operator-allowed `host` / `host:port` patterns, lower case (see parseEgressAllowList). */
  readonly allow: readonly string[];
  readonly resolve: Resolve;
}

/** A URL setting of a provider and the hosts of the provider's own public service (allowed over https). */
export interface UrlSetting {
  /** The config key, e.g. `endpoint`. */
  readonly key: string;
  /** Host patterns of the provider's public service: `api.github.com`, `*.okta.com`. */
  readonly publicHosts: readonly string[];
}

/** Thrown when a URL or a connection is refused by the egress policy. Never names a resolved address. */
export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';
  /** The refusal without the subject it is about (`must be an http(s) URL`), for a problem naming its field. */
  readonly reason: string;
  constructor(message: string, reason: string = message) {
    super(message);
    this.name = 'EgressDeniedError';
    this.reason = reason;
  }
}

const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * The egress refusal behind an error, looking through the causes SDKs wrap it in (node-fetch copies its
 * code instead); null when none.
 */
export function egressDenial(error: unknown): { message: string } | null {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e; depth += 1) {
    if (e instanceof EgressDeniedError) return e;
    if ((e as { code?: unknown }).code === 'EGRESS_DENIED') return { message: String((e as Error).message) };
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Checks every URL setting a provider declares that the config holds. */
export function checkUrlSettings(
  policy: EgressPolicy,
  settings: readonly UrlSetting[],
  config: Readonly<Record<string, unknown>>,
): void {
  for (const setting of settings)
    if (config[setting.key] !== undefined) checkUrlSetting(policy, setting, config[setting.key]);
}

/** A policy from the operator's allowlist (the `COMPLYWISE_EGRESS_ALLOW` text, or its patterns). */
export function egressPolicy(
  allow: string | readonly string[] = [],
  resolve: Resolve = systemResolve,
): EgressPolicy {
  return {
    allow: typeof allow === 'string' ? parseEgressAllowList(allow) : allow.map(normalizePattern),
    resolve,
  };
}

/** `host`, `host:port`, `*.domain` or `*.domain:port`, comma-separated; refuses anything else. */
export function parseEgressAllowList(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map(normalizePattern);
}

const PATTERN = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

function normalizePattern(pattern: string): string {
  const p = pattern.trim().toLowerCase();
  if (!PATTERN.test(p))
    throw new RangeError(`egress allowlist entry ${JSON.stringify(pattern)} is not host or host:port`);
  return p;
}

/** The address ranges no provider call may reach unless the operator allowlists the host. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // unspecified, "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (and some clouds' metadata)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: the cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the old IPv4-compatible form
  ['64:ff9b::', 96], // NAT64 of any IPv4 address
  ['2002::', 16], // 6to4 of any IPv4 address
  ['fc00::', 7], // unique local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv6');

/** True for an address a provider call must not reach (IPv4-mapped IPv6 is judged as its IPv4). */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A host as URL parsing gives it, without brackets or a trailing dot, lower case. */
function bareHost(host: string): string {
  return host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

function matches(pattern: string, host: string, port: number): boolean {
  const [, patternHost = '', patternPort] = /^(.*?)(?::(\d+))?$/.exec(pattern) ?? [];
  if (patternPort !== undefined && Number(patternPort) !== port) return false;
  const bare = bareHost(patternHost);
  return bare.startsWith('*.') ? host.endsWith(bare.slice(1)) : host === bare;
}

/** Whether the operator allowlists this host (and port). */
export function operatorAllows(policy: EgressPolicy, host: string, port: number): boolean {
  const bare = bareHost(host);
  return policy.allow.some((pattern) => matches(pattern, bare, port));
}

/**
 * Checks one URL setting's value before anything is sent: the provider's public service over https, or
 * a host the operator allowlists. Throws EgressDeniedError naming the setting.
 */
export function checkUrlSetting(policy: EgressPolicy, setting: UrlSetting, value: unknown): void {
  const deny = (why: string): never => {
    throw new EgressDeniedError(`config.${setting.key} ${why}`, why);
  };
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return deny('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') deny('must be an http(s) URL');
  if (url.username || url.password) deny('must not carry a user name or password');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = bareHost(url.hostname);
  if (operatorAllows(policy, host, port)) return;
  const publicHost = url.protocol === 'https:' && setting.publicHosts.some((p) => matches(p, host, port));
  if (!publicHost || isIP(host) !== 0) {
    deny(
      `names a host that is neither the provider's public service over https nor allowed by the operator (COMPLYWISE_EGRESS_ALLOW)`,
    );
  }
}

/**
 * The address to connect to for a host: resolved with the policy's resolver and refused when any of
 * its addresses is internal, unless the operator allowlists the host.
 */
export async function allowedAddress(
  policy: EgressPolicy,
  host: string,
  port: number,
): Promise<{ address: string; family: number }> {
  const bare = bareHost(host);
  const family = isIP(bare);
  const addresses = family !== 0 ? [{ address: bare, family }] : await policy.resolve(bare);
  const first = addresses[0];
  if (!first) throw new EgressDeniedError(`${bare} has no address`);
  if (operatorAllows(policy, bare, port)) return first;
  if (addresses.some((a) => isInternalAddress(a.address))) {
    throw new EgressDeniedError(
      `${bare} is an internal address (loopback, private, link-local or similar) and not allowed by the operator (COMPLYWISE_EGRESS_ALLOW)`,
    );
  }
  return first;
}

type CreateConnection = (
  options: Record<string, unknown>,
  done: (error: Error | null, socket?: Socket) => void,
) => undefined;

/** An http(s) agent whose every connection goes to an address the policy allows. */
function guarded<A extends typeof HttpAgent | typeof HttpsAgent>(
  Base: A,
  policy: EgressPolicy,
  options: AgentOptions,
): InstanceType<A> {
  const agent = new Base({ keepAlive: true, ...options }) as InstanceType<A>;
  const create = agent.createConnection.bind(agent) as unknown as (
    options: Record<string, unknown>,
  ) => Socket;
  const defaultPort = Base === HttpsAgent ? 443 : 80;
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (opts, done) => {
    const host = String(opts.host ?? 'localhost');
    allowedAddress(policy, host, Number(opts.port) || defaultPort).then(
      ({ address }) => done(null, create({ ...opts, host: address })),
      (error: Error) => done(error),
    );
    return undefined;
  };
  return agent;
}

/** node:http and node:https agents for the SDKs built on them (named as the AWS SDK's handler takes them). */
export function guardedAgents(
  policy: EgressPolicy,
  options: AgentOptions = {},
): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  return { httpAgent: guarded(HttpAgent, policy, options), httpsAgent: guarded(HttpsAgent, policy, options) };
}

/** An undici dispatcher whose every connection (redirects included) goes to an address the policy allows. */
export function guardedDispatcher(policy: EgressPolicy): Dispatcher {
  const connect = buildConnector({});
  return new UndiciAgent({
    connect: (opts, done) => {
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      allowedAddress(policy, opts.hostname, port).then(
        // The TLS server name still comes from opts.host, the name the URL gave.
        ({ address }) => connect({ ...opts, hostname: address }, done),
        (error: Error) => done(error, null),
      );
    },
  });
}

/** A fetch for fetch-based SDKs (Octokit's `request: { fetch }`) that goes through the guarded dispatcher. */
export function guardedFetch(policy: EgressPolicy): typeof fetch {
  const dispatcher = guardedDispatcher(policy);
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
}
