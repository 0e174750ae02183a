/**
 * The API's egress policy: where provider calls may go (scanners/egress.ts). It is built once per process
 * from COMPLYWISE_EGRESS_ALLOW, and every provider call the API makes passes it (the scan pipeline's
 * collect step, the connection test, and the URL settings checked when an integration is saved), so
 * the scanners' "no policy" case never happens from here.
 *
 * Servers the product starts itself on loopback (the demo sandboxes, and the fixture servers of tests)
 * are added by their exact host and port with `allowEndpoint`, never by allowing loopback as a whole.
 */
import fp from 'fastify-plugin';
import { egressPolicy, type EgressPolicy } from '../../scanners/index.ts';

export class ApiEgress {
  readonly #allow: string[];
  /** The policy handed to the scanners; it sees every endpoint allowed later too. */
  readonly policy: EgressPolicy;

  /** `allow`: the operator's patterns, as Config.egressAllow holds them. */
  constructor(allow: readonly string[]) {
    const base = egressPolicy(allow);
    this.#allow = [...base.allow];
    const patterns = this.#allow;
    this.policy = {
      get allow() {
        return patterns;
      },
      resolve: base.resolve,
    };
  }

  /** Allows the exact host and port of a server the product itself started (`http://127.0.0.1:4566`). */
  allowEndpoint(url: string): void {
    const { protocol, hostname, port } = new URL(url);
    const pattern = `${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`;
    if (!this.#allow.includes(pattern)) this.#allow.push(...egressPolicy([pattern]).allow);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    egress: ApiEgress;
  }
}

/** Decorates `app.egress` with the given policy holder. */
export const egressPlugin = fp<{ egress: ApiEgress }>(
  async (app, { egress }) => {
    app.decorate('egress', egress);
  },
  { name: 'egress' },
);
