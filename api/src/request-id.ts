/**
 * Request ids: a caller (or a proxy in front) may send `x-request-id`; a well-formed one is kept so logs line
 * up across services, anything else is replaced by a fresh UUID. Every answer carries the id in the same
 * header, every log line of the request carries it as `reqId`, and error bodies repeat it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Only short, plain ids are taken from the caller, so nothing odd ends up in the logs. */
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify `genReqId`: the caller's well-formed id, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && ACCEPTED_ID.test(sent) ? sent : randomUUID();
}
