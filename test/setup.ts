/**
 * Runs in each test file's worker before the file (vitest `setupFiles`).
 *
 * Password hashes at a cheap argon2id cost: seedTenant and every login hash or verify a password, at the
 * production cost ~60 ms of CPU each, over the suite several hundred of them. Verification reads the cost
 * from the stored hash, so nothing a test asserts depends on it; api/src/plugins/app/passwords.test.ts checks
 * that the product itself still hashes at the production cost. Processes a test spawns (the CLI, kill -9's
 * workers) do not run this file and hash at the production cost; products started in process (main.test.ts,
 * the browser suites' demo product) hash at the test cost like the rest.
 */
import { useTestHashCost } from '../api/src/plugins/app/passwords.ts';

useTestHashCost();
