/**
 * Guards on request bodies that turn hostile input into a clear 400 or 413 instead of a 500 or a reset
 * connection: a parsed JSON body may nest at most MAX_BODY_DEPTH levels (code BODY_TOO_DEEP, with the JSON
 * Pointer of the first value too deep), checked before validation so nothing recursive ever sees it. A body
 * over the size limit is answered 413 and the rest of it read and discarded (up to DRAIN_LIMIT) before the
 * connection is reused: Fastify closes the connection at once, and closing a socket with unread data resets
 * it, so a client still sending (curl, any blocking client) lost the 413 it had not read yet.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from './errors.ts';
import { jsonPointer, pathBeyondDepth } from './json-depth.ts';

/** Deepest nesting of a request body: far beyond any body the API takes (OSCAL travels as text). */
export const MAX_BODY_DEPTH = 64;

/** How much of an oversized body is read and discarded after its 413; a larger one still gets the reset. */
export const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Reads and discards the rest of `request`'s body, closing the connection once more than `limit` arrives. */
function drain(request: IncomingMessage, limit: number): void {
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) request.socket.destroy();
  });
  request.resume();
}

/** Registers the body guards on the whole app. */
export const bodyGuardsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', async (request) => {
      const tooDeep = pathBeyondDepth(request.body, MAX_BODY_DEPTH);
      if (tooDeep) {
        const path = jsonPointer(tooDeep);
        throw new ApiError(
          'BODY_TOO_DEEP',
          `the body nests deeper than ${MAX_BODY_DEPTH} levels (at ${path})`,
          {
            path,
          },
        );
      }
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode !== 413 || request.raw.complete) return payload;
      const declared = Number(request.headers['content-length']);
      if (!(declared > DRAIN_LIMIT)) {
        reply.removeHeader('connection');
        drain(request.raw, DRAIN_LIMIT);
      }
      return payload;
    });
  },
  { name: 'body-guards' },
);
