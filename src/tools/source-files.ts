import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sectionStartingAt, type SectionRange } from '../core/sections.js';
import { parseSourceFileName, type SourceFileName } from '../core/ytdlp-args.js';

/** Whether a source file belongs to this download: the whole video, or one of the planned sections. */
export function isPlannedSource(file: SourceFileName | null, sections: SectionRange[] | null): boolean {
  if (!file) return false;
  if (!sections) return file.sectionStart === null;
  // ffmpeg fetches sections in one go: an unfinished one is started over.
  return !file.partial && file.sectionStart !== null && sectionStartingAt(sections, file.sectionStart) !== undefined;
}

/** Removes source files an earlier attempt left that this one will not use (another mode, other clips). */
export async function removeUnplannedSources(dir: string, sections: SectionRange[] | null): Promise<void> {
  const names = await readdir(dir);
  const unplanned = names.filter((n) => {
    const file = parseSourceFileName(n);
    return file !== null && !isPlannedSource(file, sections);
  });
  await Promise.all(unplanned.map((n) => rm(join(dir, n), { force: true })));
}

/** The finished files of this download in the folder, in name order. */
export async function plannedSourceNames(dir: string, sections: SectionRange[] | null): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => {
      const file = parseSourceFileName(n);
      return isPlannedSource(file, sections) && !file?.partial;
    })
    .sort();
}
