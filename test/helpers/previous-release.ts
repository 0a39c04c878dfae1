// The previous release of vstream, built from its commit, for the upgrade test.
// releases.json (repository root) names each release's commit, oldest first; the last
// entry is the one a user upgrades from. Its tree is a git worktree under the
// git-ignored .releases/, made once and reused while it is built from that commit.
import { existsSync } from 'node:fs';
import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './paths.js';

export interface Release {
  version: string;
  commit: string;
}

export interface BuiltRelease extends Release {
  /** The release's worktree. */
  root: string;
  /** Its `bin/vstream.js`, to run with node. */
  cli: string;
}

/** Written last: the worktree is complete and built from this commit. */
const BUILT_MARKER = '.vstream-built';

export async function readReleases(): Promise<Release[]> {
  return JSON.parse(await readFile(join(ROOT, 'releases.json'), 'utf8')) as Release[];
}

export async function previousRelease(): Promise<Release> {
  const release = (await readReleases()).at(-1);
  if (!release) throw new Error(`${join(ROOT, 'releases.json')} names no release`);
  return release;
}

/** The lock file without vstream's own version: a release bump alone needs no install. */
function dependencyLock(text: string): string {
  const lock = JSON.parse(text) as { version?: string; packages?: Record<string, { version?: string }> };
  delete lock.version;
  delete lock.packages?.['']?.version;
  return JSON.stringify(lock);
}

const git = (args: string[]) => execa('git', ['-C', ROOT, ...args]);

/** Creates (or reuses) the release's worktree, its node modules and its build. */
export async function buildRelease(release: Release, log: (line: string) => void = () => {}): Promise<BuiltRelease> {
  const root = resolve(ROOT, '.releases', `${release.version}-${release.commit.slice(0, 12)}`);
  const built = { ...release, root, cli: join(root, 'bin', 'vstream.js') };
  const marker = join(root, BUILT_MARKER);
  if ((await readFile(marker, 'utf8').catch(() => '')).trim() === release.commit) return built;

  const found = await git(['cat-file', '-e', `${release.commit}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (!found) {
    throw new Error(
      `release ${release.version}: commit ${release.commit} (releases.json) is not in this clone; ` +
        'fetch the full history (git fetch --unshallow, or fetch-depth: 0 in CI)',
    );
  }
  // A half-made tree from an interrupted attempt is made again.
  if (existsSync(root))
    await git(['worktree', 'remove', '--force', root]).catch(() => rm(root, { recursive: true, force: true }));
  await git(['worktree', 'prune']);
  log(`previous release ${release.version}: worktree of ${release.commit} in ${root}`);
  await git(['worktree', 'add', '--detach', root, release.commit]);

  const lockOf = async (tree: string) => dependencyLock(await readFile(join(tree, 'package-lock.json'), 'utf8'));
  const sameLock = (await lockOf(ROOT)) === (await lockOf(root));
  if (sameLock) {
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  } else {
    log(`previous release ${release.version}: its package-lock.json differs: npm ci`);
    // Its own build runs next; install scripts stay off, as `allowScripts` wants.
    await execa('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root });
  }
  // The release's own build: tsc and its workflow bundle script.
  await execa('npm', ['run', 'build'], { cwd: root });
  if (!existsSync(built.cli)) throw new Error(`release ${release.version}: ${built.cli} missing after its build`);
  await writeFile(marker, `${release.commit}\n`);
  return built;
}
