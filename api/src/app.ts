/**
 * Builds the Fastify instance from options: external plugins (database, job queue, cookies, static app),
 * domain services (tenancy, crypto, auth, evidence, integrations, scans), the /api routes, and the scan
 * worker when this process runs it. Tests build it directly; main.ts starts the whole product around it.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { bodyGuardsPlugin } from './body-guards.ts';
import { ApiEgress, egressPlugin } from './egress.ts';
import { errorHandler } from './errors.ts';
import { accessControlPlugin, recordRoutes } from './plugins/app/access.ts';
import { authPlugin } from './plugins/app/auth.ts';
import { cryptoPlugin, type KeyProvider } from './plugins/app/crypto.ts';
import { engineRuntimePlugin } from './plugins/app/engine.ts';
import { createEvidenceStore, evidencePlugin, type EvidenceStore } from './plugins/app/evidence.ts';
import { evidenceReadsPlugin } from './evidence/plugin.ts';
import { frameworksPlugin } from './frameworks/plugin.ts';
import { integrationsPlugin } from './integrations/plugin.ts';
import { keyProviderOf } from './plugins/app/kms-key-provider.ts';
import { membersPlugin } from './members/plugin.ts';
import { invitationsPlugin } from './invitations/plugin.ts';
import { scansPlugin } from './scans/plugin.ts';
import { posturePlugin } from './scoring/plugin.ts';
import { explorerPlugin } from './explorer/plugin.ts';
import { overridesPlugin } from './overrides/plugin.ts';
import { rulePacksPlugin } from './packs/plugin.ts';
import { schedulesPlugin } from './schedules/plugin.ts';
import { tenancyPlugin } from './plugins/app/tenancy.ts';
import { loadJwtSecret } from './plugins/app/tokens.ts';
import { bossPlugin } from './plugins/external/boss.ts';
import { wakeupsPlugin } from './plugins/external/wakeups.ts';
import { dbPlugin, migrateLatest, openDatabase, type Database } from './plugins/external/db.ts';
import { metricsPlugin } from './plugins/external/metrics.ts';
import { openApiPlugin } from './plugins/external/openapi.ts';
import { staticAppPlugin } from './plugins/external/static.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { securityHeadersPlugin } from './security-headers.ts';
import authRoutes from './routes/auth/index.ts';
import evidenceRoutes from './routes/evidence/index.ts';
import frameworkRoutes from './routes/frameworks/index.ts';
import healthRoutes from './routes/health/index.ts';
import integrationRoutes from './routes/integrations/index.ts';
import meRoutes from './routes/me/index.ts';
import memberRoutes from './routes/members/index.ts';
import invitationRoutes from './routes/invitations/index.ts';
import demoRoutes from './routes/demo/index.ts';
import { passwordResetsPlugin } from './password-resets/plugin.ts';
import { signupPlugin } from './signup/plugin.ts';
import scanRoutes from './routes/scans/index.ts';
import scheduleRoutes from './routes/schedules/index.ts';
import overrideRoutes from './routes/overrides/index.ts';
import rulePackRoutes from './routes/packs/index.ts';
import ruleRoutes from './routes/rules/index.ts';
import findingDetailRoutes from './routes/findings/detail.ts';
import resourceRoutes from './routes/resources/index.ts';
import reportRoutes from './routes/reports/index.ts';
import findingRoutes from './routes/findings/index.ts';
import { reportsPlugin } from './reports/plugin.ts';
import { auditsPlugin } from './audits/plugin.ts';
import auditRoutes from './routes/audits/index.ts';
import { ruleVersionsPlugin } from './rule-versions/plugin.ts';
import ledgerRoutes from './routes/ledger/index.ts';
import scoreRoutes from './routes/scores/index.ts';
import oscalRoutes from './routes/scans/oscal.ts';
import scoringSettingsRoutes from './routes/settings/scoring.ts';
import tokenRoutes from './routes/tokens/index.ts';
import { DEMO_LOGIN } from './seed/demo.ts';
import { ledgerPlugin, loadLedgerSigner } from './ledger/ledger.ts';
import { scanWorkerPlugin } from './worker/plugin.ts';
import { retentionJobPlugin } from './retention/job.ts';
import { retentionPlugin } from './retention/plugin.ts';
import retentionSettingsRoutes from './routes/settings/retention.ts';

export interface AppOptions {
  config: Config;
  /** An already open database; when absent one is opened from the config and closed with the app. */
  database?: Database;
  /** Close `database` with the app (default: only when the app opened it). */
  ownsDatabase?: boolean;
  /** Fastify logger option; defaults to pino at config.logLevel with secrets redacted. */
  logger?: FastifyServerOptions['logger'];
  keyProvider?: KeyProvider;
  evidenceStore?: EvidenceStore;
  /**
   * Where provider calls may go; default: built from config.egressAllow. main.ts passes the one that also
   * allows the demo sandboxes it started.
   */
  egress?: ApiEgress;
  /** Serve the API routes (default: config.role !== 'worker'). */
  api?: boolean;
  /** Run the scan worker in this process (default: config.role !== 'api'). */
  worker?: boolean;
  /** The clock this process's worker evaluates scans against (default: the system clock; tests move it). */
  scanClock?: () => Date;
}

/** Log paths never written: tokens, cookies, passwords and credential fields wherever they appear. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'credentials',
  'secretAccessKey',
  'sessionToken',
  'refresh_token',
  'access_token',
  '*.password',
  '*.credentials',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.refresh_token',
  '*.access_token',
  '*.authorization',
  '*.cookie',
];

/** Default logger options for a config: pino with the redaction above. */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } };
}

/** Builds (and readies) the Fastify app. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const database = options.database ?? (await openDatabase(config));
  const ownsDatabase = options.ownsDatabase ?? !options.database;
  const serveApi = options.api ?? config.role !== 'worker';
  const runWorker = options.worker ?? config.role !== 'api';

  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    // Bodies here are small JSON documents.
    bodyLimit: 256 * 1024,
    // Behind a proxy: the client's address (login rate limit) and protocol (Secure cookie, HSTS) come from
    // the X-Forwarded-* headers of the proxies trusted here.
    // A hop count becomes the function Fastify runs for one (its types take no number).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    ajv: { customOptions: { allErrors: true } },
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Errors Fastify raises while routing (malformed or over-long URL) get the one error shape too.
    frameworkErrors: errorHandler,
    // Start-up plugins wait on the database (recording rule versions, the job queue's schema); on a busy
    // host or database Fastify's default 10 s failed a healthy start ("Plugin did not start in time"). A
    // plugin that truly hangs still fails the start, a minute later.
    pluginTimeout: 60_000,
  });
  app.setErrorHandler(errorHandler);
  recordRoutes(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  try {
    await migrateLatest(database);
    // Registered first so its onClose (closing the database) runs after the job queue has stopped.
    await app.register(dbPlugin, { database, closeOnShutdown: ownsDatabase });
    await app.register(bodyGuardsPlugin);
    await app.register(bossPlugin, { jobs: config.jobs });
    await app.register(wakeupsPlugin);
    await app.register(tenancyPlugin);
    await app.register(egressPlugin, { egress: options.egress ?? new ApiEgress(config.egressAllow) });
    await app.register(cryptoPlugin, { keyProvider: options.keyProvider ?? keyProviderOf(config) });
    await app.register(evidencePlugin, {
      store: options.evidenceStore ?? createEvidenceStore(config.evidence),
    });
    await app.register(engineRuntimePlugin, {
      ...(config.rulesBundleDir ? { rulesBundleDir: config.rulesBundleDir } : {}),
      ...(config.frameworksDir ? { frameworksDir: config.frameworksDir } : {}),
      ...(config.engineParallelThreshold ? { parallelThreshold: config.engineParallelThreshold } : {}),
      ...(config.engineWorkers ? { engineWorkers: config.engineWorkers } : {}),
    });
    await app.register(ruleVersionsPlugin, {
      ...(config.rulesBundleDir ? { rulesBundleDir: config.rulesBundleDir } : {}),
      ...(config.gitCommit ? { gitCommit: config.gitCommit } : {}),
    });
    await app.register(ledgerPlugin, { signer: loadLedgerSigner(config) });
    await app.register(evidenceReadsPlugin);
    await app.register(frameworksPlugin);
    await app.register(integrationsPlugin);
    await app.register(membersPlugin);
    await app.register(invitationsPlugin, {
      dataDir: config.dataDir,
      mailFrom: config.mailFrom,
      publicUrl: config.publicUrl,
      ...(config.smtpUrl ? { smtpUrl: config.smtpUrl } : {}),
    });
    await app.register(scansPlugin);
    await app.register(posturePlugin);
    await app.register(overridesPlugin);
    await app.register(rulePacksPlugin);
    await app.register(schedulesPlugin);
    await app.register(retentionPlugin);
    await app.register(explorerPlugin);
    await app.register(reportsPlugin);
    await app.register(auditsPlugin);
    if (runWorker) {
      await app.register(scanWorkerPlugin, {
        jobs: config.jobs,
        ...(options.scanClock ? { now: options.scanClock } : {}),
      });
    }
    if (runWorker) await app.register(retentionJobPlugin);

    if (serveApi) {
      await app.register(fastifyCookie);
      await app.register(securityHeadersPlugin, { appBuildDir: config.appBuildDir });
      await app.register(metricsPlugin, config.metricsToken ? { token: config.metricsToken } : {});
      await app.register(openApiPlugin);
      // Limits apply only to routes that ask for one (login): see routes/auth.
      await app.register(fastifyRateLimit, { global: false });
      await app.register(authPlugin, { jwtSecret: loadJwtSecret(config) });
      await app.register(passwordResetsPlugin, { publicUrl: config.publicUrl });
      await app.register(signupPlugin, { publicUrl: config.publicUrl, enabled: config.signup });
      await app.register(
        async (api) => {
          await api.register(accessControlPlugin);
          await api.register(healthRoutes, { prefix: '/health' });
          await api.register(authRoutes, {
            prefix: '/auth',
            demoLogin: config.demo ? DEMO_LOGIN : null,
            loginAttemptsPerMinute: config.loginAttemptsPerMinute,
          });
          api.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () =>
            app.swagger(),
          );
          await api.register(demoRoutes, { prefix: '/demo', demo: config.demo });
          await api.register(meRoutes, { prefix: '/me' });
          // Before the integration routes, so the isolation matrix reaches them before it deletes the spare integration.
          await api.register(scheduleRoutes, { prefix: '/integrations' });
          await api.register(integrationRoutes, { prefix: '/integrations' });
          await api.register(scanRoutes, { prefix: '/scans' });
          await api.register(findingRoutes, { prefix: '/findings' });
          await api.register(scoreRoutes, { prefix: '/scores' });
          await api.register(oscalRoutes, { prefix: '/scans' });
          await api.register(scoringSettingsRoutes, { prefix: '/settings' });
          await api.register(evidenceRoutes, { prefix: '/evidence' });
          await api.register(frameworkRoutes, { prefix: '/frameworks' });
          await api.register(tokenRoutes, { prefix: '/tokens' });
          await api.register(memberRoutes, { prefix: '/members' });
          await api.register(invitationRoutes, { prefix: '/invitations' });
          await api.register(ledgerRoutes, { prefix: '/ledger' });
          await api.register(overrideRoutes, { prefix: '/overrides' });
          await api.register(ruleRoutes, { prefix: '/rules' });
          await api.register(rulePackRoutes, { prefix: '/rule-packs' });
          await api.register(findingDetailRoutes, { prefix: '/findings' });
          await api.register(resourceRoutes, { prefix: '/resources' });
          await api.register(reportRoutes, { prefix: '/reports' });
          await api.register(auditRoutes, { prefix: '/audits' });
          await api.register(retentionSettingsRoutes, { prefix: '/settings' });
        },
        { prefix: '/api' },
      );
      await app.register(staticAppPlugin, { root: config.appBuildDir });
    }
    await app.ready();
  } catch (error) {
    await app.close().catch(() => {});
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }
  return app;
}
