/**
 * Shapes of the issue 14 routes that the API's OpenAPI document (openapi.d.ts) does not describe yet:
 * password reset, self-service sign-up and the demo mailbox, typed by hand from the agreed contract. Once
 * the API serves them, `node scripts/gen-api-types.ts` regenerates openapi.d.ts and these become
 * ResponseBody aliases in types.ts like the others.
 */

/** `GET /api/auth/signup`: whether this server lets a new organisation sign up. */
export interface SignupStatus {
  enabled: boolean;
}

/** `POST /api/auth/signup/complete`: the tenant created and its first admin. */
export interface SignupCompletion {
  tenant_id: string;
  tenant_name: string;
  email: string;
  role: 'admin';
  account_created: boolean;
}

/** One message of the demo mailbox (`GET /api/demo/outbox`), newest first. */
export interface OutboxItem {
  id: string;
  to: string;
  subject: string;
  text: string;
  created_at: string;
}
