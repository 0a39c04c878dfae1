// vstream's search attributes on a server, through the operator API: `vstream
// search-attributes` registers the missing ones, doctor and run ask which are there.
import { Connection, isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
import {
  compareSearchAttributes,
  conflictLine,
  indexedValueType,
  indexedValueTypeName,
  permissionDeniedLine,
  registeredLine,
  runWithoutLine,
  searchAttributesUsable,
  type SearchAttributeState,
  type ServerPlace,
} from '../core/search-attribute-registration.js';
import { connectClient, ServerTlsAlert } from '../tools/client-connection.js';
import type { ConnectionSecurity } from './connection-options.js';
import { CliError, ExitCode } from './exit-codes.js';

/** gRPC status codes the command tells apart. */
const GRPC_PERMISSION_DENIED = 7;

const isPermissionDenied = (err: unknown) => isGrpcServiceError(err) && err.code === GRPC_PERMISSION_DENIED;

/** Which of vstream's search attributes the namespace has, and with which type. */
export async function readSearchAttributeState(
  connection: ConnectionLike,
  namespace: string,
): Promise<SearchAttributeState> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const registered = Object.fromEntries(
    Object.entries(customAttributes ?? {}).map(([name, type]) => [name, indexedValueTypeName(Number(type))]),
  );
  return compareSearchAttributes(registered);
}

/**
 * Whether a new batch on this server upserts search attributes (checked once, before it
 * starts), and the line `run` prints when it does not.
 */
export async function searchAttributeUsage(
  connection: ConnectionLike,
  place: ServerPlace,
): Promise<{ use: boolean; line: string | null }> {
  try {
    const state = await readSearchAttributeState(connection, place.namespace);
    return { use: searchAttributesUsable(state), line: runWithoutLine(state, place) };
  } catch (err) {
    return { use: false, line: runWithoutLine({ reason: (err as Error).message }, place) };
  }
}

export interface SearchAttributesOptions extends ServerPlace {
  /** Keep trying this long while the server does not answer yet (a stack starting up). */
  waitSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects and lists; retried until the wait is over, unless the server said no. */
async function connectAndRead(
  options: SearchAttributesOptions,
  security: ConnectionSecurity,
): Promise<{ connection: Connection; state: SearchAttributeState }> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    let connection: Connection | null = null;
    try {
      connection = await connectClient({ address: options.address, connectTimeout: 5_000, ...security });
      return { connection, state: await readSearchAttributeState(connection, options.namespace) };
    } catch (err) {
      await connection?.close();
      if (isPermissionDenied(err)) throw new CliError(permissionDeniedLine(options));
      // Refused for good (mTLS): waiting changes nothing; the CLI words the alert.
      if (err instanceof ServerTlsAlert) throw err;
      if (Date.now() >= deadline)
        throw new CliError(
          `cannot list the search attributes of namespace ${options.namespace} on ${options.address}: ${(err as Error).message}`,
        );
      await sleep(2_000);
    }
  }
}

/**
 * `vstream search-attributes`: registers the ones the namespace lacks (idempotent), says
 * what it added or that all were there; a type conflict or no permission is one line
 * and exit 1.
 */
export async function searchAttributesCommand(
  options: SearchAttributesOptions,
  security: ConnectionSecurity,
  out: (line: string) => void = console.log,
): Promise<number> {
  const { connection, state } = await connectAndRead(options, security);
  try {
    if (state.conflicts.length > 0) throw new CliError(conflictLine(state.conflicts, options.namespace));
    if (state.missing.length > 0) {
      const searchAttributes = Object.fromEntries(state.missing.map((d) => [d.name, indexedValueType(d.type)]));
      try {
        await connection.operatorService.addSearchAttributes({ namespace: options.namespace, searchAttributes });
      } catch (err) {
        if (isPermissionDenied(err)) throw new CliError(permissionDeniedLine(options));
        throw new CliError(
          `registering search attributes in namespace ${options.namespace} on ${options.address} failed: ${(err as Error).message}`,
        );
      }
    }
    out(registeredLine(state.missing, options.namespace));
    return ExitCode.ok;
  } finally {
    await connection.close();
  }
}
