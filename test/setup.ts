/**
 * Runs in each test file's worker before the file (vitest `setupFiles`).
 *
 * Password hashes at a cheap argon2id cost: seedTenant and every login hash or verify a password, at the
 * production cost ~60 ms of CPU each, over the suite several hundred of them. Verification reads the cost
 * from the stored hash, so nothing a test asserts depends on it; api/src/plugins/app/passwords.test.ts checks
 * that the product itself still hashes at the production cost. Processes a test starts (the CLI, the server
 * in main.test.ts and the browser suites) do not run this file and hash at the production cost.
 */
import { useTestHashCost } from '../api/src/plugins/app/passwords.ts';

useTestHashCost();
