/**
 * Runtime configuration, read once from the environment. Everything else receives a Config object, so tests
 * can build one without touching process.env.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseEgressAllowList } from '../../scanners/index.ts';

export type ProcessRole = 'api' | 'worker' | 'all';

export type EvidenceStoreConfig =
  | { kind: 'filesystem'; dir: string }
  | { kind: 's3'; bucket: string; region: string; endpoint?: string; prefix: string };

export interface Config {
  host: string;
  port: number;
  /** Folder for PGlite files, the filesystem evidence store and generated local keys. */
  dataDir: string;
  /** PostgreSQL connection string; unset means embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data folder; null keeps the database in memory (tests). Ignored with databaseUrl. */
  pgliteDir: string | null;
  /** base64 master key (32 bytes); unset means a generated file `${dataDir}/master.key`. */
  masterKey?: string;
  /** AWS KMS instead of the local master key (COMPLYWISE_KEY_PROVIDER=aws-kms); see docs/security.md. */
  kms?: KmsConfig;
  /** Access-token signing secret; unset means a generated file `${dataDir}/jwt.secret`. */
  jwtSecret?: string;
  role: ProcessRole;
  evidence: EvidenceStoreConfig;
  /** Seed the demo tenant and start the bundled AWS sandbox. */
  demo: boolean;
  /** Port of the demo S3 sandbox; 0 picks a free one. */
  demoS3Port: number;
  /** Built SvelteKit app served at `/` when the folder exists. */
  appBuildDir: string;
  logLevel: string;
  /** Directory of the compiled rule bundle and of the framework catalogs (defaults: repository folders). */
  rulesBundleDir?: string;
  frameworksDir?: string;
  /** The git commit the deployed rule bundle was built from (COMPLYWISE_GIT_COMMIT), for the version registry. */
  gitCommit?: string;
  /** Scans of at least this many resources evaluate on worker threads (COMPLYWISE_ENGINE_PARALLEL_THRESHOLD). */
  engineParallelThreshold?: number;
  /** Worker threads of the parallel engine (COMPLYWISE_ENGINE_WORKERS). */
  engineWorkers?: number;
  /** Ed25519 PKCS#8 PEM signing ledger checkpoints; unset means a generated `${dataDir}/ledger-signing.pem`. */
  ledgerSigningKey?: string;
  /** Login attempts allowed per minute for one e-mail from one address (COMPLYWISE_LOGIN_RATE_LIMIT). */
  loginAttemptsPerMinute: number;
  /**
   * Which proxies in front of the API to believe about the client address and protocol
   * (COMPLYWISE_TRUST_PROXY: `true`, a hop count, or comma-separated addresses/CIDRs; unset trusts none).
   * Decides the Secure flag of the refresh cookie, HSTS and the address the login rate limit keys on.
   */
  trustProxy: boolean | number | string;
  /** Bearer token that /metrics requires (COMPLYWISE_METRICS_TOKEN); unset answers /metrics with 404. */
  metricsToken?: string;
  /**
   * Hosts provider calls may reach besides the providers' public services, and internal addresses they may
   * reach at all (COMPLYWISE_EGRESS_ALLOW: comma-separated `host` or `host:port`, `*.` for subdomains; see
   * api/src/egress.ts). Unset: only the providers' public services over https, never an internal address.
   */
  egressAllow: string[];
  /** SMTP server for outgoing mail (COMPLYWISE_SMTP_URL); unset writes messages to `${dataDir}/outbox/`. */
  smtpUrl?: string;
  /** Sender address of outgoing mail (COMPLYWISE_MAIL_FROM). */
  mailFrom: string;
  /**
   * Self-service sign-up: anyone may create a tenant after proving their e-mail (COMPLYWISE_SIGNUP=1; off by
   * default, on in the demo unless COMPLYWISE_SIGNUP=0).
   */
  signup: boolean;
  /** Base URL of the app in e-mailed links (COMPLYWISE_PUBLIC_URL; default http://HOST:PORT). */
  publicUrl: string;
  /** The scan job queue: leases, retries, concurrency and shutdown (see docs/architecture.md "Jobs"). */
  jobs: JobsConfig;
}

/** The KMS key wrapping tenant data keys: its id or ARN, region, and an endpoint other than AWS's. */
export interface KmsConfig {
  keyId: string;
  region: string;
  endpoint?: string;
}

/** `{ kms }` when COMPLYWISE_KEY_PROVIDER=aws-kms, `{}` for the local master key. */
function kmsSettings(env: NodeJS.ProcessEnv): { kms?: KmsConfig } {
  const provider = env.COMPLYWISE_KEY_PROVIDER || 'local';
  if (provider === 'local') return {};
  if (provider !== 'aws-kms')
    throw new ConfigError(`COMPLYWISE_KEY_PROVIDER must be local or aws-kms, got "${provider}"`);
  if (!env.COMPLYWISE_KMS_KEY_ID)
    throw new ConfigError('COMPLYWISE_KEY_PROVIDER=aws-kms needs COMPLYWISE_KMS_KEY_ID (a key ARN)');
  return {
    kms: {
      keyId: env.COMPLYWISE_KMS_KEY_ID,
      region: env.COMPLYWISE_KMS_REGION || env.AWS_REGION || 'us-east-1',
      ...(env.COMPLYWISE_KMS_ENDPOINT ? { endpoint: env.COMPLYWISE_KMS_ENDPOINT } : {}),
    },
  };
}

export interface JobsConfig {
  /**
   * A running scan job's lease: the worker refreshes it every half of this; a job not refreshed for this
   * long (its worker was killed) is failed by the queue monitor and retried (pg-boss minimum 10).
   */
  heartbeatSeconds: number;
  /** How often the queue monitor looks for lapsed leases (and expired jobs), in seconds. */
  monitorIntervalSeconds: number;
  /** Seconds before a failed or released scan job is tried again. */
  retryDelaySeconds: number;
  /**
   * How often a worker asks each queue for work, in seconds. A job another process sends also wakes the workers
   * at once on PostgreSQL (plugins/external/wakeups.ts), so this bounds only a missed wake-up.
   */
  pollSeconds: number;
  /** Scan jobs one worker process runs at the same time. */
  workerConcurrency: number;
  /** Scans of one tenant running at the same time, across every worker process. */
  tenantConcurrency: number;
  /** How long shutdown waits for running scans before releasing them to another worker, in ms. */
  shutdownGraceMs: number;
  /**
   * Provider calls per second for each integration, across every worker process at once; unset, each
   * provider's default (AWS 20, Azure 20, GitHub 10, Okta 8).
   */
  callsPerSecond?: number;
  /**
   * Bench only (COMPLYWISE_BENCH_CALL_SLOT_DIR): a directory where each worker process logs the call slots
   * its limiter grants (scans/call-slot-log.ts); unset, nothing is logged.
   */
  callSlotLogDir?: string;
}

/** The repository root (api/src/../..), so defaults do not depend on the working directory. */
export const repositoryRoot = resolve(import.meta.dirname, '..', '..');

class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function parsePort(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535, got "${value}"`);
  }
  return port;
}

function parsePositiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * COMPLYWISE_TRUST_PROXY: `true`, a hop count, or comma-separated addresses and CIDR ranges (handed to Fastify
 * as written); unset, `false` or `0` trusts no proxy.
 */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  for (const entry of text.split(',').map((part) => part.trim())) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (family === 0 || !validBits || rest.length > 0)
      throw new ConfigError(
        `COMPLYWISE_TRUST_PROXY must be true, a hop count, or comma-separated addresses or CIDRs; "${entry}" is none of them`,
      );
  }
  return text;
}

function parseEgressAllow(value: string | undefined): string[] {
  try {
    return parseEgressAllowList(value ?? '');
  } catch (error) {
    throw new ConfigError(`COMPLYWISE_EGRESS_ALLOW: ${(error as Error).message}`);
  }
}

function parseRole(value: string | undefined): ProcessRole {
  const role = value ?? 'all';
  if (role === 'api' || role === 'worker' || role === 'all') return role;
  throw new ConfigError(`COMPLYWISE_ROLE must be api, worker or all, got "${role}"`);
}

function parseJobs(env: NodeJS.ProcessEnv): JobsConfig {
  const heartbeatSeconds = parsePositiveInt(
    env.COMPLYWISE_SCAN_HEARTBEAT_SECONDS,
    20,
    'COMPLYWISE_SCAN_HEARTBEAT_SECONDS',
  );
  if (heartbeatSeconds < 10)
    throw new ConfigError(`COMPLYWISE_SCAN_HEARTBEAT_SECONDS must be at least 10, got "${heartbeatSeconds}"`);
  return {
    heartbeatSeconds,
    monitorIntervalSeconds: parsePositiveInt(
      env.COMPLYWISE_JOB_MONITOR_SECONDS,
      10,
      'COMPLYWISE_JOB_MONITOR_SECONDS',
    ),
    retryDelaySeconds: parsePositiveInt(
      env.COMPLYWISE_SCAN_RETRY_DELAY_SECONDS,
      5,
      'COMPLYWISE_SCAN_RETRY_DELAY_SECONDS',
    ),
    pollSeconds: parsePositiveInt(env.COMPLYWISE_JOB_POLL_SECONDS, 2, 'COMPLYWISE_JOB_POLL_SECONDS'),
    workerConcurrency: parsePositiveInt(env.COMPLYWISE_SCAN_CONCURRENCY, 4, 'COMPLYWISE_SCAN_CONCURRENCY'),
    tenantConcurrency: parsePositiveInt(
      env.COMPLYWISE_TENANT_SCAN_CONCURRENCY,
      2,
      'COMPLYWISE_TENANT_SCAN_CONCURRENCY',
    ),
    shutdownGraceMs: parsePositiveInt(
      env.COMPLYWISE_SHUTDOWN_GRACE_MS,
      30_000,
      'COMPLYWISE_SHUTDOWN_GRACE_MS',
    ),
    ...(env.COMPLYWISE_SCAN_CALLS_PER_SECOND
      ? {
          callsPerSecond: parsePositiveInt(
            env.COMPLYWISE_SCAN_CALLS_PER_SECOND,
            1,
            'COMPLYWISE_SCAN_CALLS_PER_SECOND',
          ),
        }
      : {}),
    ...(env.COMPLYWISE_BENCH_CALL_SLOT_DIR ? { callSlotLogDir: env.COMPLYWISE_BENCH_CALL_SLOT_DIR } : {}),
  };
}

/** Builds the Config from environment variables (see README "Configuration"). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.COMPLYWISE_DATA_DIR || '.data');
  const databaseUrl = env.DATABASE_URL || undefined;
  const bucket = env.COMPLYWISE_EVIDENCE_S3_BUCKET;
  const evidence: EvidenceStoreConfig = bucket
    ? {
        kind: 's3',
        bucket,
        region: env.COMPLYWISE_EVIDENCE_S3_REGION || env.AWS_REGION || 'us-east-1',
        ...(env.COMPLYWISE_EVIDENCE_S3_ENDPOINT ? { endpoint: env.COMPLYWISE_EVIDENCE_S3_ENDPOINT } : {}),
        prefix: env.COMPLYWISE_EVIDENCE_S3_PREFIX ?? 'evidence/',
      }
    : { kind: 'filesystem', dir: resolve(dataDir, 'evidence') };
  const host = env.HOST || '127.0.0.1';
  const port = parsePort(env.PORT, 3000, 'PORT');
  const demo = env.COMPLYWISE_DEMO
    ? env.COMPLYWISE_DEMO === '1' || env.COMPLYWISE_DEMO === 'true'
    : !databaseUrl;
  return {
    host,
    port,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    pgliteDir: resolve(dataDir, 'pglite'),
    ...(env.COMPLYWISE_MASTER_KEY ? { masterKey: env.COMPLYWISE_MASTER_KEY } : {}),
    ...kmsSettings(env),
    ...(env.COMPLYWISE_JWT_SECRET ? { jwtSecret: env.COMPLYWISE_JWT_SECRET } : {}),
    ...(env.COMPLYWISE_GIT_COMMIT ? { gitCommit: env.COMPLYWISE_GIT_COMMIT } : {}),
    ...(env.COMPLYWISE_ENGINE_PARALLEL_THRESHOLD
      ? {
          engineParallelThreshold: parsePositiveInt(
            env.COMPLYWISE_ENGINE_PARALLEL_THRESHOLD,
            1,
            'COMPLYWISE_ENGINE_PARALLEL_THRESHOLD',
          ),
        }
      : {}),
    ...(env.COMPLYWISE_ENGINE_WORKERS
      ? { engineWorkers: parsePositiveInt(env.COMPLYWISE_ENGINE_WORKERS, 1, 'COMPLYWISE_ENGINE_WORKERS') }
      : {}),
    ...(env.COMPLYWISE_LEDGER_SIGNING_KEY ? { ledgerSigningKey: env.COMPLYWISE_LEDGER_SIGNING_KEY } : {}),
    role: parseRole(env.COMPLYWISE_ROLE),
    evidence,
    demo,
    signup: env.COMPLYWISE_SIGNUP ? env.COMPLYWISE_SIGNUP === '1' || env.COMPLYWISE_SIGNUP === 'true' : demo,
    demoS3Port: parsePort(env.COMPLYWISE_DEMO_S3_PORT, 0, 'COMPLYWISE_DEMO_S3_PORT'),
    appBuildDir: resolve(env.COMPLYWISE_APP_DIR || resolve(repositoryRoot, 'app', 'build')),
    logLevel: env.LOG_LEVEL || 'info',
    loginAttemptsPerMinute: parsePositiveInt(
      env.COMPLYWISE_LOGIN_RATE_LIMIT,
      10,
      'COMPLYWISE_LOGIN_RATE_LIMIT',
    ),
    trustProxy: parseTrustProxy(env.COMPLYWISE_TRUST_PROXY),
    ...(env.COMPLYWISE_METRICS_TOKEN ? { metricsToken: env.COMPLYWISE_METRICS_TOKEN } : {}),
    egressAllow: parseEgressAllow(env.COMPLYWISE_EGRESS_ALLOW),
    ...(env.COMPLYWISE_SMTP_URL ? { smtpUrl: env.COMPLYWISE_SMTP_URL } : {}),
    mailFrom: env.COMPLYWISE_MAIL_FROM || 'ComplyWise <no-reply@complywise.invalid>',
    publicUrl: (env.COMPLYWISE_PUBLIC_URL || `http://${host}:${port}`).replace(/\/+$/, ''),
    jobs: parseJobs(env),
  };
}
