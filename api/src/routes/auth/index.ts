/**
 * /api/auth: login, refresh, logout, password change and reset, self-service sign-up. The refresh token is
 * returned in the body (for API clients) and set as an HttpOnly, SameSite=Strict cookie scoped to /api/auth
 * (for the app, so scripts cannot read it). Mailed tokens never appear in an answer: only in the mail.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import type { Session } from '../../auth/service.ts';
import { REFRESH_TOKEN_TTL_SECONDS } from '../../plugins/app/tokens.ts';
import { isApiToken } from '../../tokens/service.ts';
import { principalOf, signedInPersonOf } from '../../plugins/app/auth.ts';
import {
  changePasswordSchema,
  completeSignupSchema,
  confirmPasswordResetSchema,
  loginSchema,
  logoutSchema,
  refreshSchema,
  requestPasswordResetSchema,
  requestSignupSchema,
  signupStatusSchema,
} from './schema.ts';

export const REFRESH_COOKIE = 'cw_refresh';
const COOKIE_PATH = '/api/auth';

interface RefreshBody {
  refresh_token?: string;
}

function cookieOptions(request: FastifyRequest) {
  return {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
  };
}

function sendSession(request: FastifyRequest, reply: FastifyReply, session: Session) {
  reply.setCookie(REFRESH_COOKIE, session.refresh_token, {
    ...cookieOptions(request),
    maxAge: REFRESH_TOKEN_TTL_SECONDS,
  });
  return reply.header('cache-control', 'no-store').send(session);
}

function presentedRefreshToken(
  request: FastifyRequest<{ Body: RefreshBody | undefined }>,
): string | undefined {
  return request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
}

/** The app posts refresh and logout without a body (the token is in the cookie): validate that as `{}`. */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

const demoSchema = {
  operationId: 'getDemoLogin',
  summary: 'The demo sign-in, when this server runs the demo tenant',
  tags: ['auth'],
  response: {
    200: {
      type: 'object',
      required: ['demo'],
      properties: {
        demo: {
          type: ['object', 'null'],
          required: ['email', 'password'],
          properties: { email: { type: 'string' }, password: { type: 'string' } },
        },
      },
    },
  },
} as const;

export interface AuthRoutesOptions {
  /** The demo login to show on the login page; null when this server does not run the demo tenant. */
  demoLogin: { email: string; password: string } | null;
  /** Login attempts per minute for one e-mail from one client address. */
  loginAttemptsPerMinute: number;
}

/** Rate-limit key of a login: the client address and the e-mail tried (a spray over many e-mails from one
 * address is limited per e-mail; the per-address cost is bounded by the argon2 concurrency cap). Also the
 * key of a reset or sign-up request; routes whose body has no e-mail key on the address alone. */
function loginKey(request: FastifyRequest): string {
  const body = request.body as { email?: unknown } | undefined;
  const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
  return `${request.ip}|${email}`;
}

/** The route config of a public route limited like login: `max` attempts a minute per `loginKey`. */
function limited(max: number, what: string) {
  return {
    permission: 'public' as const,
    rateLimit: {
      max,
      timeWindow: 60_000,
      // After validation, so the key can include the e-mail.
      hook: 'preHandler' as const,
      keyGenerator: loginKey,
      errorResponseBuilder: (_request: FastifyRequest, context: { after: string; ttl: number }) =>
        new ApiError('TOO_MANY_REQUESTS', `too many ${what}: try again in ${context.after}`, {
          retry_after_seconds: Math.ceil(context.ttl / 1000),
        }),
    },
  };
}

const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (
  app,
  { demoLogin, loginAttemptsPerMinute },
) => {
  // The demo credentials are public by design (printed at start and in the README); only shown when seeded.
  app.get('/demo', { schema: demoSchema, config: { permission: 'public' } }, async () => ({
    demo: demoLogin ? { email: demoLogin.email, password: demoLogin.password } : null,
  }));

  app.post<{ Body: { email: string; password: string; tenant_id?: string } }>(
    '/login',
    { schema: loginSchema, config: limited(loginAttemptsPerMinute, 'login attempts') },
    async (request, reply) => {
      const { email, password, tenant_id } = request.body;
      return sendSession(request, reply, await app.auth.login(email, password, tenant_id));
    },
  );

  app.post<{ Body: RefreshBody | undefined }>(
    '/refresh',
    { schema: refreshSchema, config: { permission: 'public' }, preValidation: emptyBodyAsObject },
    async (request, reply) => {
      const token = presentedRefreshToken(request);
      if (!token)
        throw new ApiError('INVALID_REFRESH_TOKEN', 'send refresh_token in the body or the refresh cookie');
      try {
        return sendSession(request, reply, await app.auth.refresh(token));
      } catch (error) {
        reply.clearCookie(REFRESH_COOKIE, cookieOptions(request));
        throw error;
      }
    },
  );

  app.post<{ Body: { current_password: string; new_password: string } }>(
    '/password',
    { schema: changePasswordSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const bearerToken = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearerToken && isApiToken(bearerToken))
        throw new ApiError('FORBIDDEN', 'change a password signed in as its person, not with an API token');
      const { current_password, new_password } = request.body;
      await app.auth.changePassword(principalOf(request), current_password, new_password);
      return reply.status(204).send();
    },
  );

  // The same answer for every e-mail: whether it has an account goes only to its mailbox.
  app.post<{ Body: { email: string } }>(
    '/password-reset',
    { schema: requestPasswordResetSchema, config: limited(loginAttemptsPerMinute, 'reset requests') },
    async (request, reply) => {
      await app.passwordResets.request(request.body.email);
      return reply.status(202).send({ accepted: true });
    },
  );

  app.post<{ Body: { token: string; new_password: string } }>(
    '/password-reset/confirm',
    { schema: confirmPasswordResetSchema, config: limited(loginAttemptsPerMinute, 'reset attempts') },
    async (request, reply) => {
      await app.passwordResets.confirm(request.body.token, request.body.new_password);
      return reply.status(204).send();
    },
  );

  app.get('/signup', { schema: signupStatusSchema, config: { permission: 'public' } }, async () => ({
    enabled: app.signup.enabled,
  }));

  app.post<{ Body: { organization_name: string; email: string } }>(
    '/signup',
    { schema: requestSignupSchema, config: limited(loginAttemptsPerMinute, 'sign-up requests') },
    async (request, reply) => {
      await app.signup.request(request.body);
      return reply.status(202).send({ accepted: true });
    },
  );

  app.post<{ Body: { token: string; password?: string } }>(
    '/signup/complete',
    { schema: completeSignupSchema, config: limited(loginAttemptsPerMinute, 'sign-up attempts') },
    async (request, reply) => {
      const signedInUserId = await signedInPersonOf(app, request, 'complete a sign-up');
      const completed = await app.signup.complete(request.body.token, {
        ...(request.body.password !== undefined ? { password: request.body.password } : {}),
        ...(signedInUserId ? { signedInUserId } : {}),
      });
      return reply.status(201).send(completed);
    },
  );

  app.post<{ Body: RefreshBody | undefined }>(
    '/logout',
    { schema: logoutSchema, config: { permission: 'public' }, preValidation: emptyBodyAsObject },
    async (request, reply) => {
      const token = presentedRefreshToken(request);
      if (token) await app.auth.logout(token);
      reply.clearCookie(REFRESH_COOKIE, cookieOptions(request));
      return reply.status(204).send();
    },
  );
};

export default authRoutes;
