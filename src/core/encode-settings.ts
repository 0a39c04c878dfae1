import type { EncodeSettings } from './types.js';

const SETTING_FLAGS: Record<keyof EncodeSettings, string> = {
  width: '--width',
  height: '--height',
  fps: '--fps',
  maxrateKbps: 'max bitrate (kbit/s)',
  bufsizeKbits: 'VBV buffer (kbit)',
  gop: 'GOP length',
  crf: '--crf',
};

/** The fields every settings record has; `crf` came later and is optional. */
const REQUIRED_KEYS = ['width', 'height', 'fps', 'maxrateKbps', 'bufsizeKbits', 'gop'] as const;
const ALL_KEYS = Object.keys(SETTING_FLAGS) as (keyof EncodeSettings)[];

/** The CRF range libx265 accepts. */
export const CRF_RANGE = { min: 0, max: 51 } as const;

/**
 * Stable JSON of the settings, keys in a fixed order, for hashing and comparing. `crf` is
 * written only when set, so settings made before it existed keep their hash and batch ID.
 */
export function canonicalSettings(settings: EncodeSettings): string {
  const entries: [string, number][] = REQUIRED_KEYS.map((k) => [k, settings[k]]);
  if (settings.crf !== undefined) entries.push(['crf', settings.crf]);
  return JSON.stringify(entries);
}

/** A setting as the user writes it: `--crf off` is ABR, the original's reading. */
function settingWords(settings: EncodeSettings, key: keyof EncodeSettings): string {
  return key === 'crf' ? String(settings.crf ?? 'off') : String(settings[key]);
}

/** Human-readable differences, e.g. "--width 640 (output folder has 1280)". */
export function describeSettingsDifference(requested: EncodeSettings, existing: EncodeSettings): string[] {
  return ALL_KEYS.filter((k) => requested[k] !== existing[k]).map(
    (k) => `${SETTING_FLAGS[k]} ${settingWords(requested, k)} (output folder has ${settingWords(existing, k)})`,
  );
}

export function settingsProblems(settings: EncodeSettings): string[] {
  const problems: string[] = [];
  for (const k of REQUIRED_KEYS) {
    if (!Number.isInteger(settings[k]) || settings[k] <= 0)
      problems.push(`${SETTING_FLAGS[k]} must be a positive integer`);
  }
  const { crf } = settings;
  if (crf !== undefined && (!Number.isInteger(crf) || crf < CRF_RANGE.min || crf > CRF_RANGE.max))
    problems.push(`--crf must be a whole number from ${CRF_RANGE.min} to ${CRF_RANGE.max}, or off`);
  if (settings.width % 2 !== 0 || settings.height % 2 !== 0)
    problems.push('--width and --height must be even (4:2:0 video)');
  return problems;
}

/**
 * The settings a run uses. `requestedCrf`: undefined when the user did not choose a rate
 * control, null for `--crf off` (ABR), or a CRF. Not chosen: the output folder's recorded
 * rate control (a folder recorded without `crf` keeps ABR, so the same command finds the
 * same batch), or `defaultCrf` for a new folder. A choice that differs from the folder's is
 * kept, and refused later with the settings-mismatch message.
 */
export function resolveRateControl(
  settings: EncodeSettings,
  requestedCrf: number | null | undefined,
  recorded: EncodeSettings | null,
  defaultCrf: number,
): EncodeSettings {
  const crf = requestedCrf === undefined ? (recorded ? recorded.crf : defaultCrf) : requestedCrf;
  const resolved: EncodeSettings = { ...settings };
  delete resolved.crf;
  if (crf !== null && crf !== undefined) resolved.crf = crf;
  return resolved;
}
