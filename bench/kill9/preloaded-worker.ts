/**
 * Loaded with `node --import` ahead of the product's entry point (api/src/main.ts): evaluates the modules the
 * product is made of, then waits for a line on stdin before the entry point runs. Nothing is opened before
 * that line (no database connection, no queue), so the process is still a worker that has not started.
 */
import '../../api/src/app.ts';
import '../../api/src/seed/demo.ts';
import '../../api/src/seed/demo-sandboxes.ts';

await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.destroy();
