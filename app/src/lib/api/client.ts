/**
 * The HTTP client for the ComplyWise API.
 *
 * The access token lives in this object's memory only (never localStorage): a reload loses it and
 * `restore()` gets a new one with the HttpOnly refresh cookie. A request answered 401 is retried once
 * after a refresh; when that fails too, `onSessionExpired` runs (the app sends the user to /login).
 */
import { ApiError, CLIENT_ERROR_CODES, apiErrorFromResponse } from './errors.ts';
import type {
  ControlDetail,
  ControlSummary,
  CoverageResponse,
  Evidence,
  FrameworksResponse,
  Integration,
  Invitation,
  InvitationAcceptance,
  Member,
  FindingDetail,
  OutboxItem,
  PostureControl,
  PostureRequirement,
  ResourceDetail,
  Role,
  RuleInfo,
  RuleVersion,
  Scan,
  ScoreHistoryPage,
  ScoringEventSnapshot,
  ScoresResponse,
  Session,
  SignupCompletion,
  SignupStatus,
} from './types.ts';

/** How to reach the API and whom to tell when the session changes. */
export interface ApiClientOptions {
  /** Prefix for every path, e.g. `http://127.0.0.1:3000`; empty for the page's own origin. */
  baseUrl?: string;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
  /** Called with the new session after login/refresh, and with null after logout or expiry. */
  onSessionChange?: (session: Session | null) => void;
  /** Called when a request got 401 and a refresh could not renew the session. */
  onSessionExpired?: () => void;
}

/** Options of one request. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** The API client the pages use; see createApiClient. */
export type ApiClient = ReturnType<typeof createApiClient>;

/** Creates an API client holding its own in-memory session. */
export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let session: Session | null = null;
  // Several requests may hit 401 at once: they share one refresh call (refresh tokens are single-use).
  let refreshing: Promise<Session | null> | null = null;

  function setSession(next: Session | null): void {
    session = next;
    options.onSessionChange?.(next);
  }

  async function send(path: string, request: RequestOptions, withToken: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (withToken && session) headers.authorization = `Bearer ${session.access_token}`;
    try {
      return await doFetch(`${baseUrl}${path}`, {
        method: request.method ?? 'GET',
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        credentials: 'same-origin',
        signal: request.signal,
      });
    } catch (error) {
      if (request.signal?.aborted) {
        throw new ApiError(0, CLIENT_ERROR_CODES.ABORTED, 'The request was cancelled.');
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new ApiError(0, CLIENT_ERROR_CODES.NETWORK, `Could not reach the API (${reason}).`);
    }
  }

  async function readJson<T>(response: Response): Promise<T> {
    if (!response.ok) throw await apiErrorFromResponse(response);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(
        response.status,
        CLIENT_ERROR_CODES.BAD_RESPONSE,
        'The server answered with something that is not JSON.',
      );
    }
  }

  async function refreshOnce(): Promise<Session | null> {
    const response = await send('/api/auth/refresh', { method: 'POST' }, false);
    if (response.status === 401 || response.status === 403) {
      setSession(null);
      return null;
    }
    const next = await readJson<Session>(response);
    setSession(next);
    return next;
  }

  /** Renews the access token with the refresh cookie; null when there is no valid session. */
  function refresh(): Promise<Session | null> {
    refreshing ??= refreshOnce().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** Sends an authenticated request and returns its answer (not a 401); retries once after a refresh on 401. */
  async function authorized(path: string, request: RequestOptions = {}): Promise<Response> {
    const tokenSent = session?.access_token;
    const first = await send(path, request, true);
    if (first.status !== 401) return first;
    // Another request may already have renewed the token while this one was in flight: reuse it.
    const renewed =
      session && session.access_token !== tokenSent ? session : await refresh().catch(() => null);
    if (renewed) {
      const second = await send(path, request, true);
      if (second.status !== 401) return second;
    }
    setSession(null);
    options.onSessionExpired?.();
    throw new ApiError(
      401,
      CLIENT_ERROR_CODES.SESSION_EXPIRED,
      'Your session has ended. Please sign in again.',
    );
  }
  /** Sends an authenticated request and returns its JSON body. */
  async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return readJson<T>(await authorized(path, options));
  }

  /** Reads a file the API answers as a download: its bytes and the name the API gives it. */
  async function download(path: string, signal?: AbortSignal): Promise<{ blob: Blob; filename: string }> {
    const response = await authorized(path, signal ? { signal } : {});
    if (!response.ok) throw await apiErrorFromResponse(response);
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'download';
    return { blob: await response.blob(), filename };
  }

  const id = encodeURIComponent;

  return {
    /** The current session, or null when signed out. */
    get session(): Session | null {
      return session;
    },

    /**
     * Signs in, into `tenantId` when given (else the account's oldest membership); throws ApiError (code
     * INVALID_CREDENTIALS on a wrong password).
     */
    async login(email: string, password: string, tenantId?: string): Promise<Session> {
      const body = tenantId === undefined ? { email, password } : { email, password, tenant_id: tenantId };
      const response = await send('/api/auth/login', { method: 'POST', body }, false);
      const next = await readJson<Session>(response);
      setSession(next);
      return next;
    },

    refresh,

    /** Restores the session after a page load from the refresh cookie; null when there is none. */
    async restore(): Promise<Session | null> {
      return refresh();
    },

    /** Ends the session on the server (revokes the refresh cookie) and forgets the access token. */
    async logout(): Promise<void> {
      try {
        await send('/api/auth/logout', { method: 'POST' }, true);
      } finally {
        setSession(null);
      }
    },

    request,
    download,

    /** The tenant's connected accounts. */
    listIntegrations(signal?: AbortSignal): Promise<{ items: Integration[] }> {
      return request('/api/integrations', { signal });
    },

    /** Queues a scan of one integration; the answer carries the scan id to poll. */
    startScan(integrationId: string): Promise<{ id: string; status: Scan['status'] }> {
      return request('/api/scans', { method: 'POST', body: { integration_id: integrationId } });
    },

    /** Cancels a queued or running scan (a running one stops at its next checkpoint). */
    cancelScan(scanId: string): Promise<Scan> {
      return request(`/api/scans/${id(scanId)}/cancel`, { method: 'POST', body: {} });
    },

    /** One scan with its progress, errors and failure. */
    getScan(scanId: string, signal?: AbortSignal): Promise<Scan> {
      return request(`/api/scans/${id(scanId)}`, { signal });
    },

    /** The tenant's scans, newest first. */
    listScans(signal?: AbortSignal): Promise<{ items: Scan[] }> {
      return request('/api/scans', { signal });
    },

    /** Framework scores of the latest succeeded scan. */
    getScores(signal?: AbortSignal): Promise<ScoresResponse> {
      return request('/api/scores', { signal });
    },

    /** The control results of one scan. */
    listControls(scanId: string, signal?: AbortSignal): Promise<{ items: ControlSummary[] }> {
      return request(`/api/scans/${id(scanId)}/controls`, { signal });
    },

    /** One control of one scan with its framework mappings and findings. */
    getControl(scanId: string, controlId: string, signal?: AbortSignal): Promise<ControlDetail> {
      return request(`/api/scans/${id(scanId)}/controls/${id(controlId)}`, { signal });
    },

    /** The framework catalogs the tenant is scored against (shared and uploaded). */
    listFrameworks(signal?: AbortSignal): Promise<FrameworksResponse> {
      return request('/api/frameworks', { signal });
    },

    /** Requirement coverage of every framework, or of one (`id` or `id@version`) when given. */
    getCoverage(framework?: string, signal?: AbortSignal): Promise<CoverageResponse> {
      const path = framework ? `/api/frameworks/coverage/${id(framework)}` : '/api/frameworks/coverage';
      return request(path, { signal });
    },

    /** One page of a framework's score per succeeded scan, newest first; pass the last page's cursor. */
    getScoreHistory(
      framework: string,
      page: { limit?: number; cursor?: string | null } = {},
      signal?: AbortSignal,
    ): Promise<ScoreHistoryPage> {
      const query = new URLSearchParams({ framework });
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.cursor) query.set('cursor', page.cursor);
      return request(`/api/scores/history?${query}`, { signal });
    },

    /** The posture recorded at one scoring event (a history point's `event_id`), limited to `framework`. */
    getScoringEvent(eventId: string, framework: string, signal?: AbortSignal): Promise<ScoringEventSnapshot> {
      return request(`/api/scores/events/${id(eventId)}?${new URLSearchParams({ framework })}`, { signal });
    },

    /** One evidence artifact by its sha256. */
    getEvidence(sha256: string, signal?: AbortSignal): Promise<Evidence> {
      return request(`/api/evidence/${id(sha256)}`, { signal });
    },

    /** One control over the tenant's posture: result, deciding policy, findings of every integration. */
    getPostureControl(controlId: string, signal?: AbortSignal): Promise<PostureControl> {
      return request(`/api/scores/controls/${id(controlId)}`, { signal });
    },

    /** One requirement over the tenant's posture, with its controls and evidence. */
    getPostureRequirement(
      framework: string,
      requirementId: string,
      signal?: AbortSignal,
    ): Promise<PostureRequirement> {
      return request(`/api/scores/frameworks/${id(framework)}/requirements/${id(requirementId)}`, { signal });
    },

    /** One finding with its exception, integration and controls. */
    getFinding(findingId: string, signal?: AbortSignal): Promise<FindingDetail> {
      return request(`/api/findings/${id(findingId)}`, { signal });
    },

    /** One resource of the posture: its attributes and every finding on it. */
    getResource(resourceId: string, signal?: AbortSignal): Promise<ResourceDetail> {
      return request(`/api/resources/${id(resourceId)}`, { signal });
    },

    /** A deployed rule's metadata, source folder and content hash. */
    getRule(ruleId: string, signal?: AbortSignal): Promise<RuleInfo> {
      return request(`/api/rules/${id(ruleId)}`, { signal });
    },

    /** A rule's version history, newest first. */
    listRuleVersions(ruleId: string, signal?: AbortSignal): Promise<{ items: RuleVersion[] }> {
      return request(`/api/rules/${id(ruleId)}/versions`, { signal });
    },

    /** The tenant's members (up to 500, the API's page maximum). */
    listMembers(signal?: AbortSignal): Promise<{ items: Member[]; next_cursor: string | null }> {
      return request('/api/members?limit=500', { signal });
    },

    /** Gives a member another role (the API refuses to demote the last admin: LAST_ADMIN). */
    changeMemberRole(userId: string, role: Role): Promise<Member> {
      return request(`/api/members/${id(userId)}`, { method: 'PATCH', body: { role } });
    },

    /** Removes a member from the tenant; their sessions end. */
    removeMember(userId: string): Promise<void> {
      return request(`/api/members/${id(userId)}`, { method: 'DELETE' });
    },

    /** The tenant's pending invitations (up to 500). */
    listInvitations(signal?: AbortSignal): Promise<{ items: Invitation[]; next_cursor: string | null }> {
      return request('/api/invitations?limit=500', { signal });
    },

    /** Invites an e-mail with a role; the API mails the link, the answer never holds the token. */
    inviteMember(email: string, role: Role): Promise<Invitation> {
      return request('/api/invitations', { method: 'POST', body: { email, role } });
    },

    /** Withdraws a pending invitation. */
    revokeInvitation(invitationId: string): Promise<void> {
      return request(`/api/invitations/${id(invitationId)}`, { method: 'DELETE' });
    },

    /**
     * Accepts an invitation: with `password` for a new account, or signed in as the invited account (the
     * session's bearer token is sent when there is one).
     */
    acceptInvitation(token: string, password?: string): Promise<InvitationAcceptance> {
      const body = password === undefined ? { token } : { token, password };
      return request('/api/invitations/accept', { method: 'POST', body });
    },

    /** Asks for a password reset link; the answer is the same whether the e-mail has an account or not. */
    requestPasswordReset(email: string): Promise<{ accepted: true }> {
      return request('/api/auth/password-reset', { method: 'POST', body: { email } });
    },

    /** Sets a new password with a mailed reset token; every session of the account ends. */
    confirmPasswordReset(token: string, newPassword: string): Promise<void> {
      return request('/api/auth/password-reset/confirm', {
        method: 'POST',
        body: { token, new_password: newPassword },
      });
    },

    /** Whether this server lets a new organisation sign up. */
    signupStatus(signal?: AbortSignal): Promise<SignupStatus> {
      return request('/api/auth/signup', { signal });
    },

    /** Starts a sign-up: the API mails a link to prove the e-mail (same answer for known e-mails). */
    requestSignup(organizationName: string, email: string): Promise<{ accepted: true }> {
      return request('/api/auth/signup', {
        method: 'POST',
        body: { organization_name: organizationName, email },
      });
    },

    /** Creates the tenant of a sign-up link, with `password` for a new account. */
    completeSignup(token: string, password?: string): Promise<SignupCompletion> {
      const body = password === undefined ? { token } : { token, password };
      return request('/api/auth/signup/complete', { method: 'POST', body });
    },

    /** The demo mailbox, newest first (the API answers 404 outside the demo). */
    demoOutbox(signal?: AbortSignal): Promise<{ items: OutboxItem[] }> {
      return request('/api/demo/outbox', { signal });
    },
  };
}
