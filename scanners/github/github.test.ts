// The GitHub scanner through Octokit (throttling + retry plugins), over HTTP, against the GitHub
// fixture server built from @octokit/fixtures recordings, with its rate-limit and fault scripts.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
  demoGithubData,
  startGithubFixtureServer,
  type GithubFault,
  type GithubFixtureData,
  type GithubFixtureServer,
} from './fixtures/github-fixture-server.ts';
import { scanGithub, type GithubScanOptions } from './github.ts';

let server: GithubFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  opts: { data?: GithubFixtureData; faults?: GithubFault[] } = {},
): Promise<GithubFixtureServer> {
  server = await startGithubFixtureServer(opts);
  return server;
}

const fast: GithubScanOptions = { callsPerSecond: 10_000, retryBaseMs: 10 };
const target = (s: GithubFixtureServer, organizations: string[] = [...DEMO_GITHUB_ORGS]) => ({
  organizations,
  baseUrl: s.url,
  token: DEMO_GITHUB_TOKEN,
});
const repo = (resources: Resource[], fullName: string): Resource => {
  const found = resources.find((r) => r.name === fullName);
  if (!found) throw new Error(`no ${fullName}`);
  return found;
};

describe('scanGithub against the demo organizations', () => {
  it('collects both organizations and every repository as valid resources', async () => {
    const s = await start();
    const outcome = await scanGithub(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'github.organization')).toHaveLength(2);
    expect(outcome.resources.filter((r) => r.type === 'github.repository')).toHaveLength(72);
    // Four organization webhooks and one on every sixth repository (10 + 2).
    const hooks = outcome.resources.filter((r) => r.type === 'github.webhook');
    expect(hooks).toHaveLength(16);
    for (const r of outcome.resources) expect(assertValidResource(r)).toBe(r);
    expect(hooks.find((r) => r.id === 'github:hook/acme-corp/600001')?.attributes).toEqual({
      scope: 'organization',
      repository: null,
      active: true,
      events: ['*'],
      // The query string (here a key) is not kept.
      url: 'https://audit.acme.example/github',
      content_type: 'json',
      insecure_ssl: false,
      secret_configured: true,
    });
    expect(hooks.find((r) => r.id === 'github:hook/acme-corp/api-00/700000')?.attributes).toMatchObject({
      scope: 'repository',
      repository: 'acme-corp/api-00',
      url: 'https://ci.acme.example/hooks/0',
      insecure_ssl: true,
    });
    expect(hooks.find((r) => r.id === 'github:hook/acme-corp/600002')?.attributes).toMatchObject({
      url: 'http://chat-bridge.acme.example/github',
      secret_configured: false,
    });
    expect(outcome.progress.calls_made).toBe(s.requests.length);

    const corp = outcome.resources.find((r) => r.id === 'github:org/acme-corp');
    expect(corp?.attributes).toEqual({
      login: 'acme-corp',
      two_factor_requirement_enabled: false,
      default_repository_permission: 'write',
      members_can_create_public_repositories: true,
      web_commit_signoff_required: false,
      secret_scanning_enabled_for_new_repositories: false,
      dependabot_alerts_enabled_for_new_repositories: false,
      dependabot_security_updates_enabled_for_new_repositories: false,
      dependency_graph_enabled_for_new_repositories: true,
      advanced_security_enabled_for_new_repositories: false,
      secret_scanning_push_protection_enabled_for_new_repositories: false,
      members_count: 25,
      admins: ['octo-ana-0', 'octo-ben-1', 'octo-chloe-2'],
      outside_collaborators: ['agency-lee', 'auditor-ray', 'contractor-kim', 'vendor-max'],
      actions_enabled_repositories: 'all',
      actions_allowed_actions: 'all',
      actions_default_workflow_permissions: 'write',
      actions_can_approve_pull_request_reviews: true,
    });
    expect(outcome.resources.find((r) => r.id === 'github:org/acme-labs')?.attributes).toMatchObject({
      two_factor_requirement_enabled: true,
      default_repository_permission: 'read',
      advanced_security_enabled_for_new_repositories: true,
      secret_scanning_push_protection_enabled_for_new_repositories: true,
      outside_collaborators: [],
      actions_allowed_actions: 'selected',
      actions_default_workflow_permissions: 'read',
      actions_can_approve_pull_request_reviews: false,
    });

    // Classic protection, weak protection, none, and ruleset-only protection.
    expect(repo(outcome.resources, 'acme-corp/api-00').attributes.default_branch_protection).toMatchObject({
      protected: true,
      required_approving_review_count: 2,
      enforce_admins: true,
      allows_force_pushes: false,
    });
    expect(repo(outcome.resources, 'acme-corp/web-01').attributes.default_branch_protection).toMatchObject({
      protected: true,
      required_approving_review_count: 0,
      allows_force_pushes: true,
      enforce_admins: false,
    });
    expect(repo(outcome.resources, 'acme-corp/billing-02').attributes.default_branch_protection).toEqual({
      protected: false,
      required_approving_review_count: 0,
      dismiss_stale_reviews: false,
      require_code_owner_reviews: false,
      requires_status_checks: false,
      enforce_admins: false,
      allows_force_pushes: true,
      allows_deletions: true,
      requires_signed_commits: false,
    });
    expect(repo(outcome.resources, 'acme-corp/docs-04').attributes.default_branch_protection).toMatchObject({
      protected: true,
      required_approving_review_count: 1,
      allows_force_pushes: false,
      allows_deletions: false,
    });
    const values = (key: string) =>
      new Set(outcome.resources.filter((r) => r.type === 'github.repository').map((r) => r.attributes[key]));
    expect(values('visibility')).toEqual(new Set(['public', 'private', 'internal']));
    expect(values('secret_scanning_enabled')).toEqual(new Set([true, false]));
    expect(values('dependabot_alerts_enabled')).toEqual(new Set([true, false]));
    expect(values('allow_forking')).toEqual(new Set([true, false]));
    expect(values('web_commit_signoff_required')).toEqual(new Set([true, false]));
    // Asked for public repositories only, where GitHub offers it.
    const reporting = outcome.resources.filter(
      (r) => r.type === 'github.repository' && 'private_vulnerability_reporting_enabled' in r.attributes,
    );
    expect(new Set(reporting.map((r) => r.attributes.visibility))).toEqual(new Set(['public']));
    expect(new Set(reporting.map((r) => r.attributes.private_vulnerability_reporting_enabled))).toEqual(
      new Set([true, false]),
    );
    expect(
      repo(outcome.resources, 'acme-corp/billing-14').attributes.private_vulnerability_reporting_enabled,
    ).toBe(true);
  });

  it('reads deploy keys and app installations from their real answers', async () => {
    const s = await start();
    const outcome = await scanGithub(target(s), fast);
    const keys = outcome.resources.filter((r) => r.type === 'github.deploy_key');
    // Every fourth repository (index 2, 6, 10, ...) has one: 15 in acme-corp, 3 in acme-labs.
    expect(keys).toHaveLength(18);
    const writeKey = keys.find((r) => r.id === 'github:deploy_key/acme-corp/billing-02/810002');
    expect(writeKey).toMatchObject({
      account: 'acme-corp',
      name: 'acme-corp/billing-02 deploy key deploy-2',
      attributes: {
        repository: 'acme-corp/billing-02',
        title: 'deploy-2',
        read_only: false,
        verified: true,
        enabled: true,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT09:00:00Z$/),
        last_used_at: expect.any(String),
      },
    });
    // The key material itself never reaches the inventory.
    expect(JSON.stringify(keys)).not.toContain('ssh-ed25519');
    expect(
      keys.find((r) => r.id === 'github:deploy_key/acme-corp/auth-06/810006')?.attributes.last_used_at,
    ).toBe(null);
    const apps = outcome.resources.filter((r) => r.type === 'github.app_installation');
    expect(apps.map((r) => r.id).sort()).toEqual([
      'github:installation/acme-corp/910001',
      'github:installation/acme-corp/910002',
      'github:installation/acme-labs/910101',
    ]);
    expect(apps.find((r) => r.id === 'github:installation/acme-corp/910001')?.attributes).toEqual({
      app_slug: 'ci-deployer',
      app_id: 31_001,
      repository_selection: 'all',
      permissions: { administration: 'write', contents: 'write', metadata: 'read', workflows: 'write' },
      write_permissions: ['administration', 'contents', 'workflows'],
      events: ['pull_request', 'push'],
      created_at: expect.any(String),
      suspended: false,
    });
    for (const r of [...keys, ...apps]) expect(assertValidResource(r)).toBe(r);
  });

  it('records refused deploy-key and installation reads with their permissions and keeps the rest', async () => {
    const data = demoGithubData();
    data.deniedRoutes = ['orgs.listAppInstallations', 'repos.listDeployKeys@acme-labs/billing-02'];
    const s = await start({ data });
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'github:orgs.listAppInstallations',
        resource_id: 'github:org/acme-labs',
        missing_permission: expect.stringMatching(
          /^Administration: read, organization .*organization_administration=read$/,
        ),
      }),
      expect.objectContaining({
        operation: 'github:repos.listDeployKeys',
        resource_id: 'github:repo/acme-labs/billing-02',
        missing_permission: expect.stringContaining('Administration: read, repository'),
      }),
    ]);
    expect(outcome.resources.filter((r) => r.type === 'github.app_installation')).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'github.deploy_key').map((r) => r.id)).toEqual([
      'github:deploy_key/acme-labs/auth-06/810006',
      'github:deploy_key/acme-labs/cli-10/810010',
    ]);
  });

  it('follows Link headers page by page', async () => {
    const s = await start();
    const outcome = await scanGithub(target(s, ['acme-corp']), { ...fast, pageSize: 7 });
    // acme-corp: the organization, 60 repositories, 13 webhooks, 2 app installations and 15 deploy keys.
    expect(outcome.resources).toHaveLength(91);
    const repoPages = s.requests.filter((r) => r.route === 'repos.listForOrg');
    expect(repoPages.map((r) => new URL(r.path, s.url).searchParams.get('page'))).toEqual([
      null,
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    expect(outcome.resources.find((r) => r.type === 'github.organization')?.attributes.members_count).toBe(
      25,
    );
  });
});

describe('scanGithub under rate limits and faults', () => {
  it('waits out a primary rate limit until x-ratelimit-reset, then goes on', async () => {
    const s = await start({
      faults: [{ route: 'repos.listForOrg', kind: 'primary-rate-limit', times: 1, waitSeconds: 1 }],
    });
    const started = Date.now();
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources).toHaveLength(20);
    expect(s.requests.filter((r) => r.route === 'repos.listForOrg').map((r) => r.status)).toEqual([403, 200]);
    // The reset is a whole epoch second: the wait lasts until it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('honours retry-after on a secondary rate limit', async () => {
    const s = await start({
      faults: [
        {
          route: 'orgs.listOutsideCollaborators',
          kind: 'secondary-rate-limit',
          status: 429,
          times: 1,
          waitSeconds: 1,
        },
      ],
    });
    const started = Date.now();
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.errors).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(
      s.requests.filter((r) => r.route === 'orgs.listOutsideCollaborators').map((r) => r.status),
    ).toEqual([429, 200]);
  });

  it('gives up after the configured rate-limit retries and records the call', async () => {
    const s = await start({
      faults: [{ route: 'orgs.listOutsideCollaborators', kind: 'secondary-rate-limit', waitSeconds: 1 }],
    });
    const outcome = await scanGithub(target(s, ['acme-labs']), { ...fast, rateLimitRetries: 1 });
    expect(outcome.errors).toEqual([
      expect.objectContaining({ operation: 'github:orgs.listOutsideCollaborators', code: '403' }),
    ]);
    expect(s.requests.filter((r) => r.route === 'orgs.listOutsideCollaborators')).toHaveLength(2);
    expect(outcome.resources.find((r) => r.type === 'github.organization')?.attributes).not.toHaveProperty(
      'outside_collaborators',
    );
    expect(outcome.resources).toHaveLength(20);
  });

  it('retries a 5xx answer and succeeds', async () => {
    const s = await start({ faults: [{ route: 'orgs.get', status: 502, times: 1 }] });
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.errors).toEqual([]);
    expect(s.requests.filter((r) => r.route === 'orgs.get').map((r) => r.status)).toEqual([502, 200]);
  });

  it('waits for a slow answer', async () => {
    const s = await start({ faults: [{ route: 'orgs.get', delayMs: 300, times: 1 }] });
    const started = Date.now();
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.resources).toHaveLength(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('records a refused call with the permission to grant and goes on', async () => {
    const data = demoGithubData();
    data.deniedRoutes = [
      'orgs.listOutsideCollaborators',
      'repos.getBranchProtection@acme-labs/api-00',
      'repos.listWebhooks@acme-labs/api-00',
      'actions.getWorkflowPermissions',
    ];
    const s = await start({ data });
    const outcome = await scanGithub(target(s, ['acme-labs']), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'github:orgs.listOutsideCollaborators',
        code: '403',
        missing_permission: expect.stringMatching(/^Members: read .*GitHub accepts members=read$/),
      }),
      expect.objectContaining({
        operation: 'github:actions.getGithubActionsDefaultWorkflowPermissionsOrganization',
        resource_id: 'github:org/acme-labs',
        missing_permission: expect.stringMatching(/^Administration: read .*administration=read$/),
      }),
      expect.objectContaining({
        operation: 'github:repos.getBranchProtection',
        resource_id: 'github:repo/acme-labs/api-00',
        missing_permission: expect.stringContaining('Administration: read'),
      }),
      expect.objectContaining({
        operation: 'github:repos.listWebhooks',
        resource_id: 'github:repo/acme-labs/api-00',
        missing_permission: expect.stringMatching(/^Webhooks: read, repository .*repository_hooks=read$/),
      }),
    ]);
    // The repository is still there; only its webhooks are missing.
    expect(outcome.resources.filter((r) => r.type === 'github.webhook').map((r) => r.id)).toEqual([
      'github:hook/acme-labs/600101',
      'github:hook/acme-labs/auth-06/700006',
    ]);
    const org = outcome.resources.find((r) => r.type === 'github.organization');
    expect(org?.attributes).not.toHaveProperty('outside_collaborators');
    // The other Actions answer still fills its two attributes.
    expect(org?.attributes).not.toHaveProperty('actions_default_workflow_permissions');
    expect(org?.attributes).toMatchObject({ actions_allowed_actions: 'selected' });
    expect(repo(outcome.resources, 'acme-labs/api-00').attributes).not.toHaveProperty(
      'default_branch_protection',
    );
    expect(repo(outcome.resources, 'acme-labs/web-01').attributes).toHaveProperty(
      'default_branch_protection',
    );
  });

  it('records a refused private vulnerability reporting read and leaves only that attribute out', async () => {
    const data = demoGithubData();
    data.deniedRoutes = ['repos.checkPrivateVulnerabilityReporting@acme-corp/billing-14'];
    const s = await start({ data });
    const outcome = await scanGithub(target(s, ['acme-corp']), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'github:repos.checkPrivateVulnerabilityReporting',
        resource_id: 'github:repo/acme-corp/billing-14',
        missing_permission: expect.stringContaining('Administration: read'),
      }),
    ]);
    const refused = repo(outcome.resources, 'acme-corp/billing-14').attributes;
    expect(refused).not.toHaveProperty('private_vulnerability_reporting_enabled');
    expect(refused).toMatchObject({ visibility: 'public', dependabot_alerts_enabled: expect.any(Boolean) });
    expect(repo(outcome.resources, 'acme-corp/api-00').attributes).toMatchObject({
      private_vulnerability_reporting_enabled: true,
    });
  });

  it('fails fast on a bad token without printing it', async () => {
    const s = await start();
    const token = 'github_pat_11WRONG0000000000000000_notTheRightTokenAtAll';
    const error = await scanGithub({ ...target(s), token }, fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(inspect(error, { depth: 6 })).not.toContain(token);
    expect(s.requests).toHaveLength(1);
  });

  it('refuses a malformed target, naming the fields', async () => {
    const error = await scanGithub({ organizations: ['not a login'], token: 'x', baseUrl: 'ftp://x' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    for (const field of ['organizations', 'token', 'baseUrl'])
      expect((error as Error).message).toContain(field);
  });
});
