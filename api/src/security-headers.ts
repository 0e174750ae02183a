/**
 * Response headers that keep browsers from misusing the app and the API (@fastify/helmet): a Content
 * Security Policy with no inline script except the SvelteKit bootstrap of the built app (allowed by its
 * sha256, read from the built HTML at start), `frame-ancestors 'none'` and `X-Frame-Options: DENY` (no
 * framing, no clickjacking), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and HSTS
 * only on requests that arrived over TLS (`request.protocol`, which honours COMPLYWISE_TRUST_PROXY), since a
 * browser ignores it over plain HTTP and a local install must stay reachable that way. The Swagger UI page
 * sets its own, stricter CSP on its routes (@fastify/swagger-ui `staticCSP`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyHelmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/** One year, the usual HSTS lifetime (and the minimum for browser preload lists). */
const HSTS_MAX_AGE = 365 * 24 * 60 * 60;

/** The CSP source (`'sha256-…'`) of every inline `<script>` in the HTML files at the top of `buildDir`. */
export function inlineScriptHashes(buildDir: string): string[] {
  if (!existsSync(buildDir)) return [];
  const hashes = new Set<string>();
  for (const file of readdirSync(buildDir).filter((name) => name.endsWith('.html'))) {
    const html = readFileSync(join(buildDir, file), 'utf8');
    for (const match of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
      const body = match[1]!;
      if (body.trim() === '') continue;
      hashes.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
    }
  }
  return [...hashes].sort();
}

/**
 * The Swagger UI page's own policy, adjusted: it inserts a style element its listed hashes do not cover (a
 * hash in style-src makes browsers ignore 'unsafe-inline', so the directive is replaced), and it may not be
 * framed either.
 */
export function swaggerUiCsp(policy: string): string {
  return policy
    .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';")
    .replace(/frame-ancestors [^;]*;/, "frame-ancestors 'none';");
}

/** Registers the headers on every answer; `appBuildDir` is where the built app's HTML lives. */
export const securityHeadersPlugin = fp<{ appBuildDir: string }>(
  async (app, { appBuildDir }) => {
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'", ...inlineScriptHashes(appBuildDir)],
          // Svelte transitions and component styles insert style elements and attributes at run time.
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // Set below, only over TLS.
      strictTransportSecurity: false,
      // The app loads nothing cross-origin; these would only get in the way of the Swagger UI assets.
      crossOriginEmbedderPolicy: false,
    });
    app.addHook('onRequest', async (request, reply) => {
      if (request.protocol === 'https')
        reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE}; includeSubDomains`);
    });
  },
  { name: 'security-headers' },
);
