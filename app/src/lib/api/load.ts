/**
 * Turns API failures inside SvelteKit load functions into page errors the error page can show.
 */
import { error } from '@sveltejs/kit';
import { ApiError, describeError } from './errors.ts';

/** Dependency key of the dashboard's data; invalidating it (after a scan succeeded) reloads the scores. */
export const SCORES_DEPENDENCY = 'app:scores';

/**
 * Awaits an API call; an ApiError becomes a SvelteKit `error()` carrying its human message (see
 * describeError) and status (502 when the API did not answer), so the error page says what went wrong.
 */
export async function orPageError<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (cause) {
    if (cause instanceof ApiError) {
      const status = cause.status >= 400 && cause.status <= 599 ? cause.status : 502;
      error(status, describeError(cause));
    }
    throw cause;
  }
}
