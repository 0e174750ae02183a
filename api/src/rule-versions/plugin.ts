/**
 * Decorates `app.ruleVersions` and registers the deployed rule versions at startup (see service.ts). A bundle without a valid sources.json
 * is logged and skipped rather than stopping the API: scans report the bundle problem on their own.
 */
import fp from 'fastify-plugin';
import { bundleGitCommit, deployedRuleVersions } from '../../../engine/index.ts';
import { RuleVersionService, registerRuleVersions } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    ruleVersions: RuleVersionService;
  }
}

export interface RuleVersionsPluginOptions {
  /** Default: rules/dist. */
  rulesBundleDir?: string;
  /** The commit the bundle was built from, when the deployer knows it (default: bundleGitCommit). */
  gitCommit?: string;
}

export const ruleVersionsPlugin = fp<RuleVersionsPluginOptions>(
  async (app, options) => {
    app.decorate('ruleVersions', new RuleVersionService(app.withTenant));
    try {
      // COMPLYWISE_GIT_COMMIT wins; else the checkout's HEAD when the bundle is committed there unchanged.
      const gitCommit = options.gitCommit ?? (await bundleGitCommit(options.rulesBundleDir));
      const deployed = await deployedRuleVersions(options.rulesBundleDir, gitCommit);
      const changes = await registerRuleVersions(app.db.knex, deployed);
      app.log.info({ ...changes, rules: deployed.length }, 'rule versions registered');
    } catch (error) {
      app.log.warn({ err: error }, 'could not register the deployed rule versions');
    }
  },
  { name: 'rule-versions', dependencies: ['db', 'tenancy'] },
);
