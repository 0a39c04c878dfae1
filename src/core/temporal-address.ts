/** The SDK's port when a Temporal address names none. */
const TEMPORAL_PORT = 7233;

/** host and port of a Temporal address: `host:port`, `[ipv6]:port`, or a bare host (the SDK's 7233). */
export function hostAndPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(address.trim());
  if (!match) throw new Error(`not a host:port address: ${address}`);
  return { host: match[1] ?? match[2] ?? '', port: match[3] ? Number(match[3]) : TEMPORAL_PORT };
}
