/**
 * The base image of the container test, built from Debian packages because no container registry is
 * reachable here: Debian 12 minbase by mmdebstrap, plus the Node.js binary and the npm that run this test
 * (the product needs Node 24; Debian's nodejs is older), plus the CA certificates this machine trusts (an
 * egress proxy may re-sign TLS, and `npm ci` runs inside the build). Users build on the official Node image
 * instead (the Dockerfile default).
 *
 * The tarball is cached under ~/.cache/complywise, named by the hash of its recipe (everything that goes
 * into it), so a second run on the same machine skips mmdebstrap (about two minutes) and the import.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { command, podman } from './podman.ts';

const SUITE = 'bookworm';
const MIRROR = process.env.COMPLYWISE_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const PACKAGES = ['ca-certificates'];
/** Certificates added by the machine's administrator, copied into the base so `npm ci` trusts the same. */
const LOCAL_CA_DIR = '/usr/local/share/ca-certificates';
/** Bump when the recipe changes in a way the inputs below do not show. */
const RECIPE_VERSION = 1;

interface Recipe {
  nodeBinary: string;
  npmDir: string;
  localCaFiles: string[];
  key: string;
}

/** The npm installation next to the `npm` on PATH (its folder holds package.json and bin/npm-cli.js). */
async function npmDirectory(): Promise<string> {
  const cli = realpathSync(await command('sh', ['-c', 'command -v npm']));
  return dirname(dirname(cli));
}

async function recipe(): Promise<Recipe> {
  const npmDir = await npmDirectory();
  const npmVersion = (JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const localCaFiles = existsSync(LOCAL_CA_DIR)
    ? readdirSync(LOCAL_CA_DIR)
        .filter((name) => name.endsWith('.crt'))
        .sort()
        .map((name) => join(LOCAL_CA_DIR, name))
    : [];
  const hash = createHash('sha256').update(
    JSON.stringify({
      RECIPE_VERSION,
      SUITE,
      MIRROR,
      PACKAGES,
      node: process.version,
      npmVersion,
      certificates: localCaFiles.map((file) => createHash('sha256').update(readFileSync(file)).digest('hex')),
    }),
  );
  return { nodeBinary: process.execPath, npmDir, localCaFiles, key: hash.digest('hex').slice(0, 16) };
}

function cacheDir(): string {
  const base =
    process.env.COMPLYWISE_TOOLS_DIR ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'complywise');
  return join(base, 'container-base');
}

/** The mmdebstrap hook that puts node, npm and the local certificates into the new root ("$1"). */
function customizeHook(r: Recipe): string {
  const quote = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`;
  return [
    'set -e',
    'mkdir -p "$1/usr/local/lib/node_modules" "$1/usr/local/share/ca-certificates"',
    `cp ${quote(r.nodeBinary)} "$1/usr/local/bin/node"`,
    `cp -a ${quote(r.npmDir)} "$1/usr/local/lib/node_modules/npm"`,
    'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
    ...r.localCaFiles.map((file) => `cp ${quote(file)} "$1/usr/local/share/ca-certificates/"`),
    'chroot "$1" update-ca-certificates',
  ].join('\n');
}

/**
 * Builds (or finds in the cache) the base tarball and imports it into podman. Returns the image name to
 * pass as the Dockerfile's BASE_IMAGE.
 */
export async function ensureBaseImage(log: (line: string) => void): Promise<string> {
  const r = await recipe();
  const image = `localhost/complywise-test-base:${r.key}`;
  const exists = await podman(['image', 'exists', image]).then(
    () => true,
    () => false,
  );
  if (exists) return image;
  const dir = cacheDir();
  const tarball = join(dir, `debian-${SUITE}-node-${r.key}.tar`);
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true });
    // Always a tar file (mmdebstrap would make a directory of a name it does not recognise).
    const partial = `${tarball}.${process.pid}.partial.tar`;
    log(`building the base tarball with mmdebstrap (${SUITE}, node ${process.version}) into ${tarball}`);
    try {
      await command('mmdebstrap', [
        '--variant=minbase',
        '--format=tar',
        `--include=${PACKAGES.join(',')}`,
        `--customize-hook=${customizeHook(r)}`,
        SUITE,
        partial,
        MIRROR,
      ]);
      // Renamed into place in one step, so a concurrent or killed run never leaves half a tarball.
      renameSync(partial, tarball);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  log(`importing ${tarball} as ${image}`);
  await podman([
    'import',
    '--change',
    'ENV=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    '--change',
    'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    tarball,
    image,
  ]);
  return image;
}
