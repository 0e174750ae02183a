/** Default locations, resolved from the repository root (not the working directory) so any caller finds them. */
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../rules/', import.meta.url));
export const DEFAULT_BUNDLE_DIR = fileURLToPath(new URL('../rules/dist/', import.meta.url));
export const DEFAULT_FRAMEWORKS_DIR = fileURLToPath(new URL('../frameworks/', import.meta.url));
