import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from './project.js';

export type ToolName = 'ffmpeg' | 'ffprobe' | 'yt-dlp' | 'temporal';

export const TOOL_ENV: Record<ToolName, string> = {
  ffmpeg: 'VSTREAM_FFMPEG_BIN',
  ffprobe: 'VSTREAM_FFPROBE_BIN',
  'yt-dlp': 'VSTREAM_YTDLP_BIN',
  temporal: 'VSTREAM_TEMPORAL_BIN',
};

export class ToolMissingError extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  return pathVariable
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

/** An env variable, then PATH, then the project's .tools/venv (filled by scripts/setup.sh). */
export function resolveTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[TOOL_ENV[name]];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new ToolMissingError(`${TOOL_ENV[name]}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = findOnPath(name, env.PATH) ?? [join(PROJECT_ROOT, '.tools', 'venv', 'bin', name)].find(isExecutable);
  if (!found) {
    throw new ToolMissingError(`${name} not found: set ${TOOL_ENV[name]}, put it on PATH, or run 'npm run setup'`);
  }
  return found;
}

export interface ToolPaths {
  ffmpeg: string;
  ffprobe: string;
  ytDlp: string;
}

export function resolveMediaTools(env: NodeJS.ProcessEnv = process.env): ToolPaths {
  return {
    ffmpeg: resolveTool('ffmpeg', env),
    ffprobe: resolveTool('ffprobe', env),
    ytDlp: resolveTool('yt-dlp', env),
  };
}
