import type { EncodeSettings } from './types.js';

const SETTING_FLAGS: Record<keyof EncodeSettings, string> = {
  width: '--width',
  height: '--height',
  fps: '--fps',
  maxrateKbps: 'max bitrate (kbit/s)',
  bufsizeKbits: 'VBV buffer (kbit)',
  gop: 'GOP length',
};

/** Stable JSON of the settings, keys in a fixed order, for hashing and comparing. */
export function canonicalSettings(settings: EncodeSettings): string {
  const keys = Object.keys(SETTING_FLAGS) as (keyof EncodeSettings)[];
  return JSON.stringify(keys.map((k) => [k, settings[k]]));
}

/** Human-readable differences, e.g. "--width 640 (output folder has 1280)". */
export function describeSettingsDifference(requested: EncodeSettings, existing: EncodeSettings): string[] {
  const keys = Object.keys(SETTING_FLAGS) as (keyof EncodeSettings)[];
  return keys
    .filter((k) => requested[k] !== existing[k])
    .map((k) => `${SETTING_FLAGS[k]} ${requested[k]} (output folder has ${existing[k]})`);
}

export function settingsProblems(settings: EncodeSettings): string[] {
  const problems: string[] = [];
  const positiveInt = (k: keyof EncodeSettings) => {
    if (!Number.isInteger(settings[k]) || settings[k] <= 0)
      problems.push(`${SETTING_FLAGS[k]} must be a positive integer`);
  };
  (Object.keys(SETTING_FLAGS) as (keyof EncodeSettings)[]).forEach(positiveInt);
  if (settings.width % 2 !== 0 || settings.height % 2 !== 0)
    problems.push('--width and --height must be even (4:2:0 video)');
  return problems;
}
