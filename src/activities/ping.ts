/**
 * The host's answer on its ping queue (config.ts hostPingTaskQueue), served by a worker
 * of its own: it starts at once whenever the host's process runs, however busy its
 * download and encode slots are.
 */
export function createPingActivities(deps: { hostQueue: string }) {
  return {
    async pingHost(): Promise<string> {
      return deps.hostQueue;
    },
  };
}
