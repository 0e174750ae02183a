/**
 * One demo product per test run that reaches its first demo scan, saved, and a copy of it for every browser
 * file that needs the scanned demo (`startScannedDemo` in screens.ts). Starting the product and waiting for
 * its first scan used to be paid by each of those files; they cannot share one live product instead, since
 * each adds members, audits, evidence or scans of its own and several count what they see.
 *
 * The first file that asks saves it, in its own worker: it starts the product, waits for the first scan
 * and for the job queue to be idle, and saves the in-memory database (PGlite `dumpDataDir()`) and the data
 * folder (its keys, the evidence) into the run's folder (test/run-folder.ts). That file goes on with the
 * product it started; every later file starts a copy (startDemoProduct with the saved state): the same
 * tenant, scan and evidence, new sandboxes on new ports. A file that asks before the state is saved (the
 * other worker's first file) starts and scans a product of its own, as before, rather than wait: waiting
 * made it pay the whole build and then its copy, beyond its hook's timeout at a load of 25. If the saving
 * file fails, nothing is saved and every file starts its own.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { SCAN_PART_QUEUE, SCAN_QUEUE } from '../../api/src/plugins/external/boss.ts';
import { startDemoProduct, type DemoProduct, type DemoProductState } from './demo-product.ts';
// The run folder's type for inject() is declared there.
import type {} from '../run-folder.ts';

/** How long the saving file waits for its scan jobs to close (they close right after the scan succeeded). */
const WAIT_MS = 60_000;

/** The saved state as this process read it, for its run folder (a worker may serve several runs). */
let saved: { runFolder: string; state: DemoProductState } | undefined;

/**
 * A demo product in the state `untilScanned` waits for (its first demo scan): a copy of the run's saved
 * one, or while there is none yet a product of its own, which the first file to ask saves for the others.
 */
export async function scannedDemoProduct(
  untilScanned: (running: DemoProduct) => Promise<unknown>,
): Promise<DemoProduct> {
  const runFolder = inject('runFolder');
  if (!runFolder)
    throw new Error('no run folder: run the tests through vitest.config.ts (test/run-folder.ts)');
  const dir = join(runFolder, 'scanned-demo');
  if (saved?.runFolder !== runFolder && existsSync(join(dir, 'done'))) {
    saved = { runFolder, state: await readSaved(dir) };
  }
  if (saved?.runFolder === runFolder) return startDemoProduct(saved.state);
  // Not saved yet: a start and a scan of its own, as before. Waiting for the file that is building would
  // put that file's whole start and scan before this one's copy (beyond the hook's timeout under load).
  // mkdir is atomic: the one file that creates the folder saves its product once scanned.
  const saves = await mkdir(dir).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      return false;
    },
  );
  const running = await startDemoProduct();
  try {
    await untilScanned(running);
    if (saves) saved = { runFolder, state: await save(running, dir) };
  } catch (e) {
    await running.close();
    throw e;
  }
  return running;
}

/** Saves the product's database and data folder into `dir`, once no scan job is left to run. */
async function save(running: DemoProduct, dir: string): Promise<DemoProductState> {
  const { app } = running.product;
  // A scan reads as succeeded before its job (or its last part's) has returned: the copies must not find a
  // job still active, which pg-boss would fail for its lapsed heartbeat and run again.
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const jobs = [...(await app.boss.findJobs(SCAN_QUEUE)), ...(await app.boss.findJobs(SCAN_PART_QUEUE))];
    const busy = jobs.filter((job) => job.state !== 'completed');
    if (busy.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`scan jobs still open: ${busy.map((job) => `${job.name} ${job.state}`).join(', ')}`);
    }
    await sleep(100);
  }
  if (!app.db.pglite) throw new Error('the demo product runs on PostgreSQL: nothing to dump');
  const database = await app.db.pglite.dumpDataDir('none');
  const dataDir = join(dir, 'data');
  await cp(running.dataDir, dataDir, { recursive: true });
  await writeFile(join(dir, 'database.tar'), Buffer.from(await database.arrayBuffer()));
  // Last, and renamed into place: a file that finds it finds the whole state.
  await writeFile(join(dir, 'done.part'), '');
  await rename(join(dir, 'done.part'), join(dir, 'done'));
  return { database, dataDir };
}

async function readSaved(dir: string): Promise<DemoProductState> {
  return {
    database: new Blob([await readFile(join(dir, 'database.tar'))]),
    dataDir: join(dir, 'data'),
  };
}
