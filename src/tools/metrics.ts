import type { MetricMeter } from '@temporalio/common';
import { createInstruments, encoderLabels, errorTypeLabel, type Instruments } from '../core/metrics.js';
import { VIDEO_STATUSES, type EncoderConfig, type VideoStatus } from '../core/types.js';
import { folderBytes } from './temp-budget.js';

/** How often at most the temporary disk is measured (it walks the work dirs). */
const TEMP_DISK_SAMPLE_MS = 5_000;

/**
 * What a worker's activities record, on the process's meter (the runtime's: its series
 * carry only our labels and `host`, so the zeros set at start-up are the series later
 * work adds to). One instance per worker process.
 */
export class VstreamMetrics {
  private readonly m: Instruments;
  private readonly workDirs = new Set<string>();
  private sampling: Promise<void> | null = null;
  /** A change came while a measurement ran: one more follows. */
  private changedSince = false;
  private lastSample = 0;

  constructor(meter: MetricMeter) {
    this.m = createInstruments(meter);
  }

  /**
   * Every metric at 0 for this worker's label values, so a scrape lists them before any
   * work. A histogram gets one 0 s observation (one more in its `_count`): the SDK's
   * exporter prints nothing for one never recorded (test/e2e/metrics.test.ts checks).
   */
  initialise(encoders: EncoderConfig[]): void {
    for (const status of VIDEO_STATUSES) this.m.videos.add(0, { status, error_type: errorTypeLabel(null) });
    for (const encoder of encoders) {
      const labels = encoderLabels(encoder);
      this.m.clipsWritten.add(0, labels);
      this.m.encodeFrames.add(0, labels);
      this.m.encodeSeconds.record(0, labels);
      // A CPU host lists device="cpu" at 0: the metric exists on every host, as the dashboard expects.
      this.m.nvencSessions.set(0, { device: labels.device });
    }
    this.m.downloadBytes.add(0);
    this.m.downloadSeconds.record(0);
    this.m.backoffPauses.add(0, { error_type: errorTypeLabel(null) });
    this.m.downloadsPausedSince.set(0);
    this.m.downloadsPausedUntil.set(0);
    this.m.tempDiskBytes.set(0);
  }

  videoRecorded(status: VideoStatus, errorType: string | null): void {
    this.m.videos.add(1, { status, error_type: errorTypeLabel(errorType) });
  }

  downloaded(bytes: number, seconds: number): void {
    this.m.downloadBytes.add(Math.round(bytes));
    this.m.downloadSeconds.record(seconds);
  }

  encodePassDone(encoder: EncoderConfig, seconds: number, frames: number): void {
    const labels = encoderLabels(encoder);
    this.m.encodeSeconds.record(seconds, labels);
    this.m.encodeFrames.add(frames, labels);
  }

  clipWritten(encoder: EncoderConfig): void {
    this.m.clipsWritten.add(1, encoderLabels(encoder));
  }

  nvencSessionsInUse(deviceId: number, inUse: number): void {
    this.m.nvencSessions.set(inUse, { device: `gpu-${deviceId}` });
  }

  /**
   * A work dir's content changed (a download ended, a source went): the gauge is the bytes
   * of every work dir seen, measured at most every few seconds, off the activity's path.
   */
  workDirChanged(workDir: string): void {
    this.workDirs.add(workDir);
    if (this.sampling) {
      this.changedSince = true;
      return;
    }
    const wait = Math.max(0, this.lastSample + TEMP_DISK_SAMPLE_MS - Date.now());
    this.sampling = new Promise<void>((resolve) => setTimeout(resolve, wait).unref())
      .then(() => this.sampleTempDisk())
      .catch(() => undefined)
      .finally(() => {
        this.sampling = null;
        if (this.changedSince) this.workDirChanged(workDir);
      });
  }

  private async sampleTempDisk(): Promise<void> {
    this.lastSample = Date.now();
    this.changedSince = false;
    let bytes = 0;
    for (const dir of this.workDirs) bytes += await folderBytes(dir);
    this.m.tempDiskBytes.set(bytes);
  }
}
